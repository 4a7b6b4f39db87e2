"""Marks over time: repeats, amendments and their history, Idempotency-Key replays, staged events."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import httpx
import pytest
from registers_factories import auth, mark, new_upn, pupil_body
from sqlalchemy import select

from attendance_common.messaging.outbox import OutboxRow
from registers.main import create_app
from registers.models import Mark, MarkChange, Pupil

pytestmark = pytest.mark.integration

MONDAY = "2026-11-16"  # a past school day, after the fixture pupil's start date (2025-09-01)
TUESDAY = "2026-11-17"
RECORDED = "attendance.mark.recorded"
AMENDED = "attendance.mark.amended"


async def _post(client, school, *items, headers=None, key: str | None = None):
    headers = dict(headers or school.mis)
    if key is not None:
        headers["Idempotency-Key"] = key
    response = await client.post(
        f"/v1/schools/{school.urn}/marks", json={"marks": list(items)}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _history(client, school, date: str = MONDAY, session: str = "AM") -> list[dict]:
    url = f"/v1/schools/{school.urn}/pupils/{school.upn}/marks/{date}/{session}/history"
    response = await client.get(url, headers=school.mis)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


async def _current_code(client, school, date: str = MONDAY, session: str = "AM") -> str:
    response = await client.get(f"/v1/schools/{school.urn}/pupils/{school.upn}/marks", headers=school.mis)
    (code,) = [m["code"] for m in response.json()["marks"] if (m["date"], m["session"]) == (date, session)]
    return code


async def _events(app, urn: str) -> list[dict]:
    """The school's staged events (every row keyed by its URN), oldest first."""
    async with app.state.database.transaction() as session:
        rows = await session.scalars(select(OutboxRow).where(OutboxRow.key == urn).order_by(OutboxRow.id))
        return [
            {"type": r.event_type, "topic": r.topic, "key": r.key, "data": json.loads(r.data)} for r in rows
        ]


async def _change_rows(app, school) -> int:
    async with app.state.database.transaction() as session:
        rows = await session.scalars(
            select(MarkChange.id)
            .join(Mark, Mark.id == MarkChange.mark_id)
            .join(Pupil, Pupil.id == Mark.pupil_id)
            .where(Pupil.school_urn == school.urn)
        )
        return len(rows.all())


def _mis_by(school) -> dict:
    return {"sub": f"mis-{school.urn}", "role": "mis", "name": "Vendor MIS"}


async def test_resending_an_identical_mark_is_unchanged(client, school):
    await _post(client, school, mark(school.upn, MONDAY, "AM", "N"))

    again = await _post(client, school, mark(school.upn, MONDAY, "AM", "N"))

    assert again == {"accepted": 0, "amended": 0, "unchanged": 1, "rejected": []}


async def test_resending_an_identical_mark_stages_no_event(app, client, school):
    await _post(client, school, mark(school.upn, MONDAY, "AM", "N"))
    before = await _events(app, school.urn)

    await _post(client, school, mark(school.upn, MONDAY, "AM", "N"))

    assert await _events(app, school.urn) == before


async def test_a_different_code_for_a_marked_session_is_an_amendment(client, school):
    await _post(client, school, mark(school.upn, MONDAY, "AM", "N"))

    result = await _post(client, school, mark(school.upn, MONDAY, "AM", "I", reason="Parent phoned: ill"))

    assert result == {"accepted": 0, "amended": 1, "unchanged": 0, "rejected": []}
    assert await _current_code(client, school) == "I"


async def test_history_lists_the_original_then_the_amendment_with_reason_and_author(client, school):
    await _post(client, school, mark(school.upn, MONDAY, "AM", "N"))
    await _post(client, school, mark(school.upn, MONDAY, "AM", "I", reason="Parent phoned: ill"))

    original, amendment = await _history(client, school)

    assert {k: v for k, v in original.items() if k != "changed_at"} == {
        "code": "N",
        "previous_code": None,
        "reason": None,
        "changed_by": _mis_by(school),
    }
    assert {k: v for k, v in amendment.items() if k != "changed_at"} == {
        "code": "I",
        "previous_code": "N",
        "reason": "Parent phoned: ill",
        "changed_by": _mis_by(school),
    }
    first, second = (dt.datetime.fromisoformat(e["changed_at"]) for e in (original, amendment))
    assert first.utcoffset() == dt.timedelta(0)
    assert first <= second


async def test_every_step_of_successive_amendments_is_kept(client, school):
    for code, reason in [("N", None), ("O", "No reason given"), ("I", "Doctor's note arrived")]:
        await _post(client, school, mark(school.upn, MONDAY, "AM", code, reason=reason))

    entries = await _history(client, school)

    assert [(e["code"], e["previous_code"], e["reason"]) for e in entries] == [
        ("N", None, None),
        ("O", "N", "No reason given"),
        ("I", "O", "Doctor's note arrived"),
    ]


async def test_two_items_for_one_session_in_a_request_are_a_new_mark_then_an_amendment(client, school):
    result = await _post(
        client, school, mark(school.upn, MONDAY, "AM", "N"), mark(school.upn, MONDAY, "AM", "I", reason="ill")
    )

    assert result == {"accepted": 1, "amended": 1, "unchanged": 0, "rejected": []}
    assert [(e["code"], e["previous_code"]) for e in await _history(client, school)] == [
        ("N", None),
        ("I", "N"),
    ]
    assert await _current_code(client, school) == "I"


async def test_history_of_a_session_without_a_mark_is_404_unknown_mark(client, school):
    await _post(client, school, mark(school.upn, MONDAY, "AM", "N"))

    response = await client.get(
        f"/v1/schools/{school.urn}/pupils/{school.upn}/marks/{MONDAY}/PM/history", headers=school.mis
    )

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "unknown_mark"


async def test_same_idempotency_key_and_body_replays_the_first_answer_after_the_data_changed(client, school):
    body = [mark(school.upn, MONDAY, "AM", "N"), mark(school.upn, MONDAY, "PM", "QQ")]
    first = await _post(client, school, *body, key="batch-1")
    await _post(client, school, mark(school.upn, MONDAY, "AM", "I", reason="ill"))  # no key: a real amendment

    replay = await _post(client, school, *body, key="batch-1")

    assert replay == first
    assert first["accepted"] == 1
    assert await _current_code(client, school) == "I"  # the replay did not amend I back to N


async def test_a_replayed_answer_says_so_in_idempotent_replayed_and_a_first_one_does_not(client, school):
    url, body = f"/v1/schools/{school.urn}/marks", {"marks": [mark(school.upn, MONDAY, "AM", "N")]}
    headers = {**school.mis, "Idempotency-Key": "batch-replayed"}

    first = await client.post(url, json=body, headers=headers)
    again = await client.post(url, json=body, headers=headers)
    plain = await client.post(url, json=body, headers=school.mis)

    assert (first.status_code, again.status_code, plain.status_code) == (200, 200, 200)
    assert "idempotent-replayed" not in first.headers and "idempotent-replayed" not in plain.headers
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_same_idempotency_key_and_body_stores_nothing_twice(app, client, school):
    body = [mark(school.upn, MONDAY, "AM", "N")]
    await _post(client, school, *body, key="batch-1")
    await _post(client, school, mark(school.upn, MONDAY, "AM", "I"))
    events, changes = await _events(app, school.urn), await _change_rows(app, school)

    await _post(client, school, *body, key="batch-1")

    assert await _events(app, school.urn) == events
    assert await _change_rows(app, school) == changes


async def test_concurrent_retries_with_one_idempotency_key_record_the_mark_once(app, client, school):
    before = len(await _events(app, school.urn))

    answers = await asyncio.gather(
        *(_post(client, school, mark(school.upn, MONDAY, "AM", "N"), key="batch-1") for _ in range(5))
    )

    assert answers == [{"accepted": 1, "amended": 0, "unchanged": 0, "rejected": []}] * 5
    assert [e["type"] for e in (await _events(app, school.urn))[before:]] == [RECORDED]


async def test_same_idempotency_key_with_a_different_body_is_422_idempotency_key_reused(client, school):
    await _post(client, school, mark(school.upn, MONDAY, "AM", "N"), key="batch-1")

    response = await client.post(
        f"/v1/schools/{school.urn}/marks",
        json={"marks": [mark(school.upn, MONDAY, "AM", "I")]},
        headers={**school.mis, "Idempotency-Key": "batch-1"},
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "idempotency_key_reused"
    assert await _current_code(client, school) == "N"


async def test_an_idempotency_key_used_by_another_caller_is_independent(client, school):
    second_mis = auth("mis", schools=[school.urn], sub=f"mis2-{school.urn}", name="Second MIS")
    await _post(client, school, mark(school.upn, MONDAY, "AM", "N"), key="batch-1")

    result = await _post(
        client, school, mark(school.upn, MONDAY, "AM", "I"), headers=second_mis, key="batch-1"
    )

    assert result == {"accepted": 0, "amended": 1, "unchanged": 0, "rejected": []}
    assert (await _history(client, school))[-1]["changed_by"]["sub"] == f"mis2-{school.urn}"


async def test_new_marks_stage_one_recorded_event_keyed_by_urn(app, client, school):
    before = len(await _events(app, school.urn))

    await _post(
        client,
        school,
        mark(school.upn, MONDAY, "AM", "N"),
        mark(school.upn, MONDAY, "PM", "QQ"),
        mark(school.upn, TUESDAY, "PM", "\\"),
    )

    (event,) = (await _events(app, school.urn))[before:]
    assert (event["type"], event["topic"], event["key"]) == (RECORDED, "attendance.marks", school.urn)
    assert event["data"]["school_urn"] == school.urn
    assert [(m["upn"], m["date"], m["session"], m["code"]) for m in event["data"]["marks"]] == [
        (school.upn, MONDAY, "AM", "N"),
        (school.upn, TUESDAY, "PM", "\\"),
    ]


async def test_an_amendment_stages_an_amended_event_with_the_previous_code(app, client, school):
    await _post(client, school, mark(school.upn, MONDAY, "AM", "N"))
    before = len(await _events(app, school.urn))

    await _post(client, school, mark(school.upn, MONDAY, "AM", "I", reason="Parent phoned: ill"))

    (event,) = (await _events(app, school.urn))[before:]
    assert (event["type"], event["topic"], event["key"]) == (AMENDED, "attendance.marks", school.urn)
    (amended,) = event["data"]["marks"]
    assert {k: amended[k] for k in ("upn", "date", "session", "code", "previous_code", "reason")} == {
        "upn": school.upn,
        "date": MONDAY,
        "session": "AM",
        "code": "I",
        "previous_code": "N",
        "reason": "Parent phoned: ill",
    }
    assert (amended["changed_by_sub"], amended["changed_by_role"]) == (f"mis-{school.urn}", "mis")


async def test_2500_new_marks_are_staged_as_three_recorded_events_of_at_most_1000(app, client, school):
    upns = [school.upn]
    for _ in range(49):
        upns.append(new_upn())
        put = await client.put(
            f"/v1/schools/{school.urn}/pupils/{upns[-1]}", json=pupil_body(), headers=school.mis
        )
        assert put.status_code == 201
    weekdays = [dt.date(2025, 9, 1) + dt.timedelta(days=n) for n in range(35)]
    dates = [d.isoformat() for d in weekdays if d.weekday() < 5][:25]
    sent = {(upn, d, s) for upn in upns for d in dates for s in ("AM", "PM")}
    before = len(await _events(app, school.urn))

    result = await _post(client, school, *(mark(upn, d, s, "/" if s == "AM" else "\\") for upn, d, s in sent))

    assert result["accepted"] == 2_500
    events = (await _events(app, school.urn))[before:]
    assert [(e["type"], len(e["data"]["marks"])) for e in events] == [
        (RECORDED, 1_000),
        (RECORDED, 1_000),
        (RECORDED, 500),
    ]
    assert {(m["upn"], m["date"], m["session"]) for e in events for m in e["data"]["marks"]} == sent


async def test_a_pupils_marks_of_one_request_travel_in_one_event_however_the_request_is_ordered(
    registers_settings, school
):
    # Date by date for three pupils, four marks an event: each pupil's marks still share one event,
    # so the alerts they raise are one batch (notifications folds a catch-up per batch).
    small = create_app(registers_settings.model_copy(update={"marks_per_event": 4}))
    async with (
        small.router.lifespan_context(small),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=small), base_url="http://registers") as client,
    ):
        upns = [school.upn]
        for _ in range(2):
            upns.append(new_upn())
            put = await client.put(
                f"/v1/schools/{school.urn}/pupils/{upns[-1]}", json=pupil_body(), headers=school.mis
            )
            assert put.status_code == 201
        items = [
            mark(upn, day, session, "N")
            for day in (MONDAY, TUESDAY)
            for session in ("AM", "PM")
            for upn in upns
        ]
        assert (await _post(client, school, *items))["accepted"] == 12
        events = [e for e in await _events(small, school.urn) if e["type"] == RECORDED]
    assert len(events) == 3
    assert sorted(len({m["upn"] for m in e["data"]["marks"]}) for e in events) == [1, 1, 1]
