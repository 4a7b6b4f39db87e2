"""Attendance updates sent on demand (api.md "Keeping parents informed"): figures against registers
worked by hand, amendments after an update, improvement at the 0.01 boundary, one message per pupil
per parent in the feed and by email (never SMS), once per school and period however often asked."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from notifications_support import Feed, auth, contact, new_upn, school_days
from updates_support import amend, feed_of, present, register, send_updates, slots, staff, updates_in

from notifications.delivery.dispatch import Dispatcher

pytestmark = pytest.mark.integration

SEPT = school_days(dt.date(2026, 9, 7), 10)  # Mon 7 - Fri 18 September
AUTUMN = school_days(dt.date(2026, 9, 7), 15)  # Mon 7 - Fri 25 September
MON, FRI = dt.date(2026, 11, 16), dt.date(2026, 11, 20)
WEEK = school_days(MON, 5)
LATER = dt.datetime(2027, 12, 1, tzinfo=dt.UTC)


async def pupil_with_parents(feed: Feed, *, given_name: str = "Ada") -> str:
    upn = new_upn()
    await feed.school("Hill Primary")
    parents = [
        contact("c1", "Mum", feed.email("mum"), priority=1, phone="07700900001"),
        contact("c2", "Dad", feed.email("dad"), priority=2),
        contact("c3", "Gran", feed.email("gran"), pr=False, priority=3),  # no parental responsibility
    ]
    await feed.pupil(upn, parents, given_name=given_name)
    return upn


async def hand_worked_register(feed: Feed, upn: str) -> None:
    """September: 20 sessions present. The week of 16 November:
    Mon / \\ (2 present)  Tue I I (2 authorised)  Wed L N (1 present, 1 unauthorised)
    Thu V P (2 approved activity)  Fri D # (not counted: no possible session).
    Also a mark before the year (July) and one after the period (Monday 23rd): neither counts."""
    week = dict(zip(slots(WEEK), ["/", "\\", "I", "I", "L", "N", "V", "P", "D", "#"], strict=True))
    outside = [((dt.date(2026, 7, 13), "AM"), "O"), ((dt.date(2026, 11, 23), "AM"), "O")]
    await register(feed, upn, [(s, present(s)) for s in slots(SEPT)] + list(week.items()) + outside)


async def test_figures_are_the_registers_worked_by_hand(client, feed):
    upn = await pupil_with_parents(feed)
    await hand_worked_register(feed, upn)

    answer = await send_updates(client, feed, MON, FRI)

    assert answer.status_code == 202, answer.text
    assert answer.json()["pupils"] == 1
    assert answer.json()["messages"] == 2  # Mum and Dad; Gran has no parental responsibility
    (message,) = updates_in(await feed_of(client, feed.email("mum")), upn)
    assert message["data"] == {
        "from": "2026-11-16",
        "to": "2026-11-20",
        "present_sessions": 5,  # / \ L V P
        "possible_sessions": 8,
        "attendance_rate": 5 / 8,
        "year_to_date": {"possible_sessions": 28, "attendance_rate": 25 / 28},
        "improved": False,
    }
    assert message["title"] == "Ada's attendance update: 16 to 20 November 2026"
    assert "Ada attended 5 of 8 sessions (62%)" in message["body"]
    assert "has attended 89% of 28 sessions" in message["body"]
    assert updates_in(await feed_of(client, feed.email("gran"))) == []


async def test_each_parent_gets_one_email_and_never_an_sms(
    client, feed, notifications_settings, notifications_database, smtp
):
    upn = await pupil_with_parents(feed)
    await hand_worked_register(feed, upn)
    await send_updates(client, feed, MON, FRI)
    dispatcher = Dispatcher(notifications_settings, notifications_database)
    while await dispatcher.run_once(LATER):
        pass

    routed = await feed.routed(upn)
    assert routed == sorted(
        [
            ("parent", feed.email("dad"), "app", "sent"),
            ("parent", feed.email("dad"), "email", "sent"),
            ("parent", feed.email("mum"), "app", "sent"),
            ("parent", feed.email("mum"), "email", "sent"),
        ]
    )
    (mail,) = smtp[0].to(feed.email("mum"))
    assert mail.message["Subject"] == "Ada's attendance update: 16 to 20 November 2026"
    assert "Hello Mum," in mail.body
    assert [d.trigger for d in await feed.deliveries(upn)] == ["attendance_update"] * 4


async def test_an_amendment_after_an_update_is_in_the_next_one(client, feed):
    upn = await pupil_with_parents(feed)
    await hand_worked_register(feed, upn)
    await send_updates(client, feed, MON, FRI)
    # The Wednesday N is explained as illness, and Monday morning turns out to have been a late
    # arrival after the register closed (U): the next week's update counts both.
    await amend(feed, upn, (WEEK[2], "PM"), "N", "I")
    await amend(feed, upn, (WEEK[0], "AM"), "/", "U")
    next_week = school_days(dt.date(2026, 11, 23), 5)
    await register(feed, upn, [(s, present(s)) for s in slots(next_week)])  # the 23rd's O corrected

    answer = await send_updates(client, feed, next_week[0], next_week[-1])

    assert answer.status_code == 202, answer.text
    (latest, first) = updates_in(await feed_of(client, feed.email("mum")), upn)
    assert first["data"]["year_to_date"] == {"possible_sessions": 28, "attendance_rate": 25 / 28}
    assert latest["data"]["present_sessions"] == 10
    assert latest["data"]["possible_sessions"] == 10
    # The year: 20 + 8 + 10 possible; attended 20 + (5 - 1: Monday morning is now U) + 10.
    assert latest["data"]["year_to_date"] == {"possible_sessions": 38, "attendance_rate": 34 / 38}
    assert latest["data"]["improved"] is False  # 34/38 = 0.8947 is only 0.0019 above 25/28 = 0.8929


async def boundary_pupil(feed: Feed, given_name: str, later: list[str]) -> str:
    """Two days first (3 present of 4: 0.75), then `later` codes from the third school day on."""
    upn = await pupil_with_parents(feed, given_name=given_name)
    first = slots(AUTUMN[:2])
    await register(feed, upn, list(zip(first, ["/", "\\", "/", "I"], strict=True)))
    await register(feed, upn, list(zip(slots(AUTUMN[2:]), later, strict=False)))
    return upn


async def test_improvement_is_said_from_exactly_001_above_the_previous_update(client, feed):
    # 0.75 -> 19/25 = 0.76 (exactly 0.01 up): 22 more sessions, 16 present, 5 ill, 1 not counted.
    on = await boundary_pupil(feed, "Ada", ["/"] * 16 + ["I"] * 5 + ["X"])
    # 0.75 -> 22/29 = 0.7586 (0.0086 up): 26 more sessions, 19 present, 6 ill, 1 not counted.
    off = await boundary_pupil(feed, "Bea", ["/"] * 19 + ["I"] * 6 + ["X"])
    assert (await send_updates(client, feed, AUTUMN[0], AUTUMN[1])).status_code == 202

    assert (await send_updates(client, feed, AUTUMN[2], AUTUMN[-1])).status_code == 202

    messages = await feed_of(client, feed.email("mum"))
    (went_up,) = updates_in(messages, on)[:1]
    (same,) = updates_in(messages, off)[:1]
    assert went_up["data"]["year_to_date"] == {"possible_sessions": 25, "attendance_rate": 19 / 25}
    assert (went_up["data"]["improved"], "gone up since our last update" in went_up["body"]) == (True, True)
    assert same["data"]["year_to_date"] == {"possible_sessions": 29, "attendance_rate": 22 / 29}
    assert (same["data"]["improved"], "gone up" in same["body"]) == (False, False)


async def test_the_same_school_and_period_again_sends_nothing_and_answers_the_first_body(client, feed):
    upn = await pupil_with_parents(feed)
    await hand_worked_register(feed, upn)
    first = await send_updates(client, feed, MON, FRI)

    again = await send_updates(client, feed, MON, FRI, headers=auth("admin"))

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == first.json()
    assert len(updates_in(await feed_of(client, feed.email("mum")), upn)) == 1
    assert len(await feed.deliveries(upn)) == 4


async def test_concurrent_requests_for_one_period_send_once(client, feed):
    upns = [await pupil_with_parents(feed, given_name=f"Kid{i}") for i in range(3)]
    for upn in upns:
        await hand_worked_register(feed, upn)

    answers = await asyncio.gather(*(send_updates(client, feed, MON, FRI) for _ in range(4)))

    assert sorted(a.status_code for a in answers) == [200, 200, 200, 202]
    assert len({a.text for a in answers}) == 1
    assert answers[0].json()["pupils"] == 3
    assert answers[0].json()["messages"] == 6
    assert len(updates_in(await feed_of(client, feed.email("dad")))) == 3
    assert len(await feed.deliveries_at_school()) == 12


async def test_parent_messages_carry_data_only_for_updates_and_keep_their_etag(client, feed):
    upn = await pupil_with_parents(feed)
    await feed.raise_alert(upn, "first_day_absence")
    mum = auth("parent", email=feed.email("mum"))
    before = await client.get("/v1/parent/messages", headers=mum)
    (alert,) = before.json()["messages"]
    assert "data" not in alert
    assert (
        await client.get("/v1/parent/messages", headers={**mum, "If-None-Match": before.headers["etag"]})
    ).status_code == 304
    await hand_worked_register(feed, upn)
    await send_updates(client, feed, MON, FRI)

    after = await client.get("/v1/parent/messages", headers={**mum, "If-None-Match": before.headers["etag"]})

    assert after.status_code == 200
    assert [m["kind"] for m in after.json()["messages"]] == ["attendance_update", "first_day_absence"]
    assert after.json()["messages"][1] == alert
    page = await client.get("/v1/parent/messages", params={"limit": 1}, headers=mum)
    older = await client.get(
        "/v1/parent/messages", params={"limit": 1, "after": page.json()["next"]}, headers=mum
    )
    assert [m["kind"] for m in page.json()["messages"] + older.json()["messages"]] == [
        "attendance_update",
        "first_day_absence",
    ]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"from": "2026-11-20", "to": "2026-11-16"}, 422, "bad_range"),
        ({"from": "2025-09-01", "to": "2026-09-01"}, 422, "period_too_long"),
        ({"from": "2026-11-16", "to": "2099-11-20"}, 422, "period_too_long"),
        ({"from": "2026-11-16"}, 422, "validation_error"),
    ],
)
async def test_bad_periods_are_problems_with_stable_codes(client, feed, body, status, code):
    await feed.school()
    answer = await client.post(f"/v1/schools/{feed.urn}/attendance-updates", json=body, headers=staff(feed))
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert answer.headers["content-type"] == "application/problem+json"


async def test_a_school_outside_the_callers_scope_is_refused(client, feed):
    await feed.school()
    other = auth("school_staff", schools=["999999"])
    officer = auth("la_officer", la=feed.la_code)
    for headers, code in ((other, "forbidden_school"), (officer, "forbidden_role")):
        answer = await send_updates(client, feed, MON, FRI, headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (403, code)
        assert answer.headers["content-type"] == "application/problem+json"


async def test_a_schools_emails_share_a_few_kept_open_smtp_connections(
    client, feed, notifications_settings, notifications_database, smtp
):
    upns = [await pupil_with_parents(feed, given_name=f"Kid{i}") for i in range(6)]
    for upn in upns:
        await register(feed, upn, [(s, present(s)) for s in slots(WEEK)])
    await send_updates(client, feed, MON, FRI)
    settings = notifications_settings.model_copy(
        update={"smtp_pool_size": 2, "smtp_messages_per_connection": 5}
    )
    dispatcher = Dispatcher(settings, notifications_database)
    try:
        while await dispatcher.run_once(LATER):
            pass
    finally:
        pool = dispatcher.senders["email"].pool  # type: ignore[attr-defined]
        opened, sent = pool.connections_opened, dispatcher.sent
        await dispatcher.close()

    assert len(smtp[0].to(feed.email("mum"))) == 6
    assert len(smtp[0].to(feed.email("dad"))) == 6
    # At most 5 emails a connection, 2 at a time (`sent` counts other tests' leftovers too): not
    # one connection per email.
    assert sent >= 12
    assert opened <= sent // 5 + 2
