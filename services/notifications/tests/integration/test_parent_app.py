"""The parent app API: only their own children, their attendance, the message feed, ETags."""

from __future__ import annotations

import datetime as dt

import pytest
from notifications_support import Feed, auth, contact, new_upn, school_days

pytestmark = pytest.mark.integration


def parent(email: str) -> dict[str, str]:
    return auth("parent", sub=f"parent-{email}", email=email)


async def two_families(feed: Feed) -> tuple[str, str, str]:
    """Mum's child (she has parental responsibility; the childminder does not) and someone else's."""
    mine, theirs = new_upn(), new_upn()
    await feed.school()
    await feed.pupil(
        mine,
        [contact("c1", "Mum", feed.email("mum")), contact("c2", "Childminder", feed.email("cm"), pr=False)],
    )
    await feed.pupil(theirs, [contact("c1", "Other", feed.email("other"))], given_name="Grace")
    return mine, theirs, feed.email("mum")


async def test_a_parent_sees_only_their_own_children(feed, client):
    mine, _, mum = await two_families(feed)
    response = await client.get("/v1/parent/children", headers=parent(mum.upper()))
    assert response.status_code == 200
    assert response.json() == {
        "children": [
            {
                "school_urn": feed.urn,
                "upn": mine,
                "given_name": "Ada",
                "family_name": "Lovelace",
                "year_group": "6",
            }
        ]
    }


async def test_a_contact_without_parental_responsibility_sees_no_children(feed, client):
    await two_families(feed)
    response = await client.get("/v1/parent/children", headers=parent(feed.email("cm")))
    assert response.json() == {"children": []}


async def test_another_childs_attendance_is_404_as_if_it_did_not_exist(feed, client):
    _, theirs, mum = await two_families(feed)
    response = await client.get(f"/v1/parent/children/{theirs}/attendance", headers=parent(mum))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unknown_child"


async def test_attendance_has_the_registers_summary_and_the_last_ten_school_days(feed, client):
    mine, _, mum = await two_families(feed)
    days = school_days(dt.date(2026, 11, 2), 12)
    await feed.marks(mine, days[:11], "/", "\\")
    await feed.marks(mine, days[11:], "N", "I")
    response = await client.get(
        f"/v1/parent/children/{mine}/attendance", params={"to": "2026-11-30"}, headers=parent(mum)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("from", "to", "possible_sessions", "present", "unauthorised_absence")} == {
        "from": "2026-09-01",
        "to": "2026-11-30",
        "possible_sessions": 24,
        "present": 22,
        "unauthorised_absence": 1,
    }
    assert body["authorised_absence"] == 1 and body["absence_rate"] == pytest.approx(2 / 24)
    assert (body["persistent_absence"], body["severe_absence"]) == (False, False)
    recent = body["recent_marks"]
    assert len(recent) == 20
    assert {m["date"] for m in recent} == {d.isoformat() for d in days[2:]}
    assert recent[-2:] == [
        {"date": days[11].isoformat(), "session": "AM", "code": "N", "meaning": "Reason not yet provided"},
        {"date": days[11].isoformat(), "session": "PM", "code": "I", "meaning": "Illness"},
    ]


async def test_an_amended_mark_shows_its_new_code(feed, client):
    mine, _, mum = await two_families(feed)
    day = dt.date(2026, 11, 16)
    await feed.marks(mine, [day], "N")
    await feed.marks(mine, [day], "I")
    body = (await client.get(f"/v1/parent/children/{mine}/attendance", headers=parent(mum))).json()
    assert [m["code"] for m in body["recent_marks"]] == ["I"]


async def test_messages_come_newest_first_and_the_cursor_does_not_shift_when_new_ones_arrive(feed, client):
    mine, _, mum = await two_families(feed)
    for day in school_days(dt.date(2026, 11, 2), 3):
        await feed.raise_alert(mine, "first_day_absence", day=day)
    first = (await client.get("/v1/parent/messages", params={"limit": 2}, headers=parent(mum))).json()
    assert [m["kind"] for m in first["messages"]] == ["first_day_absence"] * 2
    assert ["Wednesday 4" in first["messages"][0]["body"], "Tuesday 3" in first["messages"][1]["body"]] == [
        True,
        True,
    ]
    await feed.raise_alert(mine, "persistent_absence", day=None)  # arrives between the two pages
    second = (
        await client.get(
            "/v1/parent/messages", params={"limit": 2, "after": first["next"]}, headers=parent(mum)
        )
    ).json()
    assert len(second["messages"]) == 1 and "Monday 2" in second["messages"][0]["body"]
    assert second["next"] is None
    assert set(second["messages"][0]) >= {"id", "created_at", "kind", "upn", "title", "body"}


async def test_another_parent_does_not_see_the_messages(feed, client):
    mine, _, _ = await two_families(feed)
    await feed.raise_alert(mine, "first_day_absence")
    response = await client.get("/v1/parent/messages", headers=parent(feed.email("other")))
    assert response.json() == {"messages": [], "next": None}


async def test_an_unchanged_feed_answers_304_to_its_etag_and_a_new_message_changes_it(feed, client):
    mine, _, mum = await two_families(feed)
    await feed.raise_alert(mine, "first_day_absence")
    first = await client.get("/v1/parent/messages", headers=parent(mum))
    etag = first.headers["etag"]
    again = await client.get("/v1/parent/messages", headers={**parent(mum), "If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    await feed.raise_alert(mine, "persistent_absence", day=None)
    changed = await client.get("/v1/parent/messages", headers={**parent(mum), "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert len(changed.json()["messages"]) == 2


@pytest.mark.parametrize("path", ["/v1/parent/children", "/v1/parent/children/{upn}/attendance"])
async def test_children_and_attendance_support_if_none_match(feed, client, path):
    mine, _, mum = await two_families(feed)
    url = path.format(upn=mine)
    etag = (await client.get(url, headers=parent(mum))).headers["etag"]
    assert (await client.get(url, headers={**parent(mum), "If-None-Match": etag})).status_code == 304


async def test_staff_cannot_use_the_parent_app(feed, client):
    response = await client.get("/v1/parent/children", headers=auth("school_staff", schools=[feed.urn]))
    assert (response.status_code, response.json()["code"]) == (403, "forbidden_role")


async def test_a_cursor_the_service_did_not_give_is_400(feed, client):
    response = await client.get("/v1/parent/messages", params={"after": "nonsense"}, headers=parent("a@b.c"))
    assert (response.status_code, response.json()["code"]) == (400, "bad_cursor")


async def test_from_after_to_is_422(feed, client):
    mine, _, mum = await two_families(feed)
    params = {"from": "2026-11-20", "to": "2026-11-01"}
    response = await client.get(f"/v1/parent/children/{mine}/attendance", params=params, headers=parent(mum))
    assert (response.status_code, response.json()["code"]) == (422, "bad_period")
