"""Each webhook type an LA can subscribe to arrives at a real local HTTP server with exactly the
fields it may carry: thin alert data, a referral naming only that LA's pupil, the statutory
deletion notice without anything about other pupils."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from notifications_support import NOW, Feed, auth, cleared, contact, new_upn, new_urn
from standardwebhooks.webhooks import Webhook

from attendance_common.events.casework import CasePupil, ReferralMade
from notifications.dispatch import Dispatcher

pytestmark = pytest.mark.integration
LATER = NOW + dt.timedelta(days=365)
ALERT_KEYS = {"alert_id", "type", "school_urn", "la_code", "upn", "date", "raised_at", "rule_version"}
REFERRAL_KEYS = {"case_id", "reason", "to", "school_urn", "la_code", "upn", "made_at"}
DELETION_KEYS = {
    "school_urn", "la_code", "upn", "given_name", "family_name", "date_of_birth",
    "ground", "date", "note", "contacts",
}  # fmt: skip


@pytest.fixture
def dispatcher(notifications_settings, notifications_database) -> Dispatcher:
    return Dispatcher(notifications_settings, notifications_database)


async def subscribe(client, feed: Feed, url: str, event_type: str) -> str:
    officer = auth("la_officer", la=feed.la_code)
    body = {"url": url, "event_types": [event_type]}
    response = await client.post("/v1/subscriptions", json=body, headers=officer)
    assert response.status_code == 201, response.text
    return response.json()["secret"]


async def delivered(dispatcher: Dispatcher, stand_in, name: str, secret: str) -> list[dict]:
    """The verified CloudEvents the LA endpoint `name` received."""
    while await dispatcher.run_once(LATER):
        pass
    return [Webhook(secret).verify(r.body, r.headers) for r in stand_in.at(f"/hooks/{name}")]


async def pupil(feed: Feed) -> str:
    upn = new_upn()
    await feed.school()
    await feed.pupil(upn, [contact("c1", "Mum", feed.email("mum"), phone="07700900001")])
    return upn


async def test_a_raised_alert_arrives_with_the_thin_fields_only(feed, dispatcher, stand_in, client):
    upn = await pupil(feed)
    secret = await subscribe(client, feed, stand_in.hook(f"raised-{feed.tag}"), "attendance.alert.raised")
    await feed.raise_alert(upn, "severe_absence", rate=0.6, numerator=30, denominator=50)
    (event,) = await delivered(dispatcher, stand_in, f"raised-{feed.tag}", secret)
    assert set(event["data"]) == ALERT_KEYS
    assert "traceparent" not in event


async def test_a_cleared_alert_arrives_with_the_thin_fields_and_when_it_cleared(
    feed, dispatcher, stand_in, client
):
    upn = await pupil(feed)
    secret = await subscribe(client, feed, stand_in.hook(f"cleared-{feed.tag}"), "attendance.alert.cleared")
    alert = await feed.raise_alert(upn, "severe_absence", rate=0.6)
    await feed.send(cleared(alert), source="alerts")
    (event,) = await delivered(dispatcher, stand_in, f"cleared-{feed.tag}", secret)
    assert set(event["data"]) == {*ALERT_KEYS, "cleared_at"}


async def test_a_referral_tells_only_the_referred_pupils_la_and_names_only_that_pupil(
    feed, dispatcher, stand_in, client
):
    upn = await pupil(feed)
    sibling_school = Feed(feed.consumer, feed.database, new_urn())  # another school, another LA
    sibling = await pupil(sibling_school)
    ours = await subscribe(client, feed, stand_in.hook(f"ref-{feed.tag}"), "attendance.referral.made")
    theirs = await subscribe(
        client, sibling_school, stand_in.hook(f"ref-{sibling_school.tag}"), "attendance.referral.made"
    )
    family = [
        CasePupil(school_urn=feed.urn, upn=upn, la_code=feed.la_code),
        CasePupil(school_urn=sibling_school.urn, upn=sibling, la_code=sibling_school.la_code),
    ]
    case_id = str(uuid.uuid4())
    await feed.send(referral(case_id, family, upn), source="casework")

    (event,) = await delivered(dispatcher, stand_in, f"ref-{feed.tag}", ours)
    assert event["data"] == {
        "case_id": case_id,
        "reason": "severe_absence",
        "to": "local_authority",
        "school_urn": feed.urn,
        "la_code": feed.la_code,
        "upn": upn,
        "made_at": "2026-11-16T09:00:00Z",
    }
    assert sibling not in str(event)
    assert await delivered(dispatcher, stand_in, f"ref-{sibling_school.tag}", theirs) == []


async def test_a_family_referral_tells_each_la_about_its_own_pupil_alone(feed, dispatcher, stand_in, client):
    upn = await pupil(feed)
    sibling_school = Feed(feed.consumer, feed.database, new_urn())
    sibling = await pupil(sibling_school)
    ours = await subscribe(client, feed, stand_in.hook(f"fam-{feed.tag}"), "attendance.referral.made")
    theirs = await subscribe(
        client, sibling_school, stand_in.hook(f"fam-{sibling_school.tag}"), "attendance.referral.made"
    )
    family = [
        CasePupil(school_urn=feed.urn, upn=upn, la_code=feed.la_code),
        CasePupil(school_urn=sibling_school.urn, upn=sibling, la_code=sibling_school.la_code),
    ]
    await feed.send(referral(str(uuid.uuid4()), family, None), source="casework")

    (ours_event,) = await delivered(dispatcher, stand_in, f"fam-{feed.tag}", ours)
    (theirs_event,) = await delivered(dispatcher, stand_in, f"fam-{sibling_school.tag}", theirs)
    assert set(ours_event["data"]) == set(theirs_event["data"]) == REFERRAL_KEYS
    assert (ours_event["data"]["upn"], ours_event["data"]["la_code"]) == (upn, feed.la_code)
    assert (theirs_event["data"]["upn"], theirs_event["data"]["la_code"]) == (sibling, sibling_school.la_code)


async def test_a_deletion_notice_gives_the_pupils_la_the_statutory_details_only(
    feed, dispatcher, stand_in, client
):
    upn = await pupil(feed)
    secret = await subscribe(client, feed, stand_in.hook(f"del-{feed.tag}"), "attendance.pupil.deleted")
    await feed.delete_pupil(upn, [contact("c1", "Mum", feed.email("mum"))], sw_email=feed.email("sw"))
    (event,) = await delivered(dispatcher, stand_in, f"del-{feed.tag}", secret)
    assert set(event["data"]) == DELETION_KEYS
    (mum,) = event["data"]["contacts"]
    assert set(mum) == {"name", "relationship", "parental_responsibility", "email", "phone", "priority"}
    assert (event["data"]["given_name"], mum["email"]) == ("Ada", feed.email("mum"))
    assert feed.email("sw") not in str(event)  # the social worker is told separately, not the LA


def referral(case_id: str, pupils: list[CasePupil], upn: str | None) -> ReferralMade:
    return ReferralMade(
        case_id=case_id,
        family_key=f"fam_{case_id[:8]}",
        pupils=pupils,
        to="local_authority",
        reason="severe_absence",
        upn=upn,
        made_at=NOW,
    )
