"""Nothing doubled (architecture.md): redelivered or re-published alerts take their steps once."""

from __future__ import annotations

import pytest
from casework_support import new_email, new_upn, new_urn, only_case

pytestmark = pytest.mark.integration


async def test_a_redelivered_severe_alert_makes_one_referral_and_one_case(client, feed):
    urn, upn = new_urn(), new_upn()
    await feed.pupil(urn, upn, email=new_email())
    item = await feed.send(feed.raised(urn, upn, "severe_absence"), source="alerts")
    await feed.redeliver(item)
    await feed.redeliver(item)
    case = await only_case(client, upn)
    assert len(case["referrals"]) == 1
    assert [r.event_type for r in await feed.outbox(case["id"])] == [
        "attendance.case.opened",
        "attendance.referral.made",
    ]


async def test_the_same_alert_published_again_under_a_new_event_id_is_applied_once(client, feed):
    urn, upn = new_urn(), new_upn()
    await feed.pupil(urn, upn, email=new_email())
    alert = feed.raised(urn, upn, "ten_day_unauthorised")
    await feed.send(alert, source="alerts")
    await feed.send(alert, source="alerts")  # a replay of the topic, re-published by its producer
    case = await only_case(client, upn)
    assert [r["reason"] for r in case["referrals"]] == ["ten_day_unauthorised"]
    assert len(case["alerts"]) == 1


async def test_an_alert_before_its_pupil_event_still_joins_the_family_when_the_pupil_arrives(client, feed):
    email, urn, (ada, byron) = new_email(), new_urn(), (new_upn(), new_upn())
    await feed.pupil(urn, ada, email=email)
    await feed.alert(urn, ada, "persistent_absence")
    await feed.alert(urn, byron, "persistent_absence")  # topics are not ordered with each other
    await feed.pupil(urn, byron, email=email)
    case = await only_case(client, ada)
    assert {p["upn"] for p in case["pupils"]} == {ada, byron}
    assert {a["upn"] for a in case["alerts"]} == {ada, byron}
