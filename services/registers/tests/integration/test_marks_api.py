"""Posting and reading marks: per-item rejections, batch limits, codes, filters, auth (api.md "Registers")."""

from __future__ import annotations

import datetime as dt

import pytest
from registers_factories import auth, mark, new_upn, new_urn
from sqlalchemy import update

from attendance_common.clock import today_in_london
from registers.models import Pupil

pytestmark = pytest.mark.integration

MONDAY = "2026-11-16"  # a past school day, after the fixture pupil's start date (2025-09-01)
TUESDAY = "2026-11-17"
WEDNESDAY = "2026-11-18"


def _marks_url(school) -> str:
    return f"/v1/schools/{school.urn}/marks"


def _pupil_marks_url(school, upn: str | None = None) -> str:
    return f"/v1/schools/{school.urn}/pupils/{upn or school.upn}/marks"


async def _post(client, school, *items, headers=None):
    return await client.post(_marks_url(school), json={"marks": list(items)}, headers=headers or school.mis)


async def _stored(client, school, **params) -> list[tuple[str, str, str]]:
    response = await client.get(_pupil_marks_url(school), params=params, headers=school.mis)
    assert response.status_code == 200
    return [(m["date"], m["session"], m["code"]) for m in response.json()["marks"]]


async def _rejected_between_two_good_marks(client, school, bad: dict) -> dict:
    """Post `bad` at index 1 between two valid marks, check both are stored; return the rejection."""
    response = await _post(
        client, school, mark(school.upn, MONDAY, "AM", "/"), bad, mark(school.upn, MONDAY, "PM", "\\")
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["amended"], body["unchanged"]) == (2, 0, 0)
    assert len(body["rejected"]) == 1
    assert await _stored(client, school) == [(MONDAY, "AM", "/"), (MONDAY, "PM", "\\")]
    return body["rejected"][0]


def _tomorrow() -> str:
    return (today_in_london() + dt.timedelta(days=1)).isoformat()


async def test_unknown_pupil_is_rejected_alone_echoing_the_upn_as_sent(client, school):
    stranger = new_upn().lower()  # a valid UPN, never put on roll, sent in lower case
    bad = mark(stranger, TUESDAY, "AM", "N")

    rejected = await _rejected_between_two_good_marks(client, school, bad)

    assert rejected == {
        "index": 1,
        "upn": stranger,
        "code": "N",
        "error_code": "unknown_pupil",
        "error": rejected["error"],
    }


async def test_unknown_code_is_rejected_alone(client, school):
    rejected = await _rejected_between_two_good_marks(client, school, mark(school.upn, TUESDAY, "AM", "QQ"))

    assert {k: v for k, v in rejected.items() if k != "error"} == {
        "index": 1,
        "upn": school.upn,
        "code": "QQ",
        "error_code": "unknown_code",
    }


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("H", "H was retired on 19 Aug 2024: use C"),
        ("J", "J was retired on 19 Aug 2024: use J1"),
        ("Y", "Y was retired on 19 Aug 2024: use Y1..Y7 or Q"),
        ("F", "F was retired in 2013: use the code for the actual reason"),
    ],
)
async def test_retired_code_is_rejected_naming_its_replacement(client, school, code, message):
    rejected = await _rejected_between_two_good_marks(client, school, mark(school.upn, TUESDAY, "AM", code))

    assert rejected == {
        "index": 1,
        "upn": school.upn,
        "code": code,
        "error_code": "retired_code",
        "error": message,
    }


async def test_lowercase_retired_code_is_rejected_and_echoed_as_sent(client, school):
    rejected = await _rejected_between_two_good_marks(client, school, mark(school.upn, TUESDAY, "AM", "h"))

    assert (rejected["code"], rejected["error_code"]) == ("h", "retired_code")
    assert rejected["error"] == "H was retired on 19 Aug 2024: use C"


async def test_no_mark_placeholder_is_rejected_as_no_mark(client, school):
    rejected = await _rejected_between_two_good_marks(client, school, mark(school.upn, TUESDAY, "AM", "-"))

    assert (rejected["index"], rejected["code"], rejected["error_code"]) == (1, "-", "no_mark")


async def test_mark_dated_tomorrow_in_london_is_rejected_as_future(client, school):
    rejected = await _rejected_between_two_good_marks(
        client, school, mark(school.upn, _tomorrow(), "AM", "/")
    )

    assert (rejected["index"], rejected["upn"], rejected["error_code"]) == (1, school.upn, "future_date")


async def test_mark_before_the_pupils_start_date_is_rejected(client, school):
    rejected = await _rejected_between_two_good_marks(
        client, school, mark(school.upn, "2025-08-29", "AM", "N")
    )

    assert (rejected["index"], rejected["code"], rejected["error_code"]) == (1, "N", "before_start_date")


async def test_unknown_session_is_rejected_as_bad_session(client, school):
    rejected = await _rejected_between_two_good_marks(client, school, mark(school.upn, TUESDAY, "EVE", "/"))

    assert (rejected["index"], rejected["code"], rejected["error_code"]) == (1, "/", "bad_session")


@pytest.mark.parametrize("date", ["16/11/2026", "20261116", "2026-W47-1", "2026-02-30"])
async def test_date_not_written_yyyy_mm_dd_is_rejected_as_bad_date(client, school, date):
    # api.md: dates are ISO YYYY-MM-DD; the ISO basic and week forms are other formats, not accepted.
    rejected = await _rejected_between_two_good_marks(client, school, mark(school.upn, date, "AM", "N"))

    assert (rejected["index"], rejected["error_code"]) == (1, "bad_date")


async def test_valid_items_beside_rejected_ones_are_stored(client, school):
    response = await _post(
        client,
        school,
        mark(school.upn, MONDAY, "AM", "QQ"),
        mark(school.upn, MONDAY, "PM", "I"),
        mark(school.upn, TUESDAY, "XX", "/"),
        mark(school.upn, TUESDAY, "AM", "M"),
        mark(school.upn, _tomorrow(), "AM", "/"),
    )

    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["error_code"]) for r in body["rejected"]] == [
        (0, "unknown_code"),
        (2, "bad_session"),
        (4, "future_date"),
    ]
    assert await _stored(client, school) == [(MONDAY, "PM", "I"), (TUESDAY, "AM", "M")]


async def test_mark_on_the_deletion_date_is_accepted(client, school):
    # A deletion may not be backdated, so through the API the earliest deletion is today, and a
    # mark after it would be in the future (future_date is checked first). `not_on_roll` is
    # reached only once time has passed: see the next test, which records the deletion directly.
    today = today_in_london().isoformat()
    deletion = {"ground": "moved_away", "date": today, "note": None}
    deleted = await client.post(
        f"/v1/schools/{school.urn}/pupils/{school.upn}/deletion", json=deletion, headers=school.mis
    )
    assert deleted.status_code == 200

    response = await _post(client, school, mark(school.upn, today, "AM", "/"))

    assert response.json() == {"accepted": 1, "amended": 0, "unchanged": 0, "rejected": []}


async def test_marks_after_a_past_deletion_are_not_on_roll_but_earlier_ones_can_be_amended(
    app, client, school
):
    assert (await _post(client, school, mark(school.upn, MONDAY, "AM", "N"))).json()["accepted"] == 1
    # Simulates a deletion recorded (not backdated) on Tuesday, some days ago.
    async with app.state.database.transaction() as session:
        await session.execute(
            update(Pupil)
            .where(Pupil.school_urn == school.urn, Pupil.upn == school.upn)
            .values(deleted_on=dt.date(2026, 11, 17), deletion_ground="moved_away")
        )

    response = await _post(
        client,
        school,
        mark(school.upn, MONDAY, "AM", "I"),
        mark(school.upn, TUESDAY, "AM", "/"),
        mark(school.upn, WEDNESDAY, "AM", "/"),
    )

    body = response.json()
    assert (body["accepted"], body["amended"]) == (1, 1)
    assert body["rejected"] == [
        {
            "index": 2,
            "upn": school.upn,
            "code": "/",
            "error_code": "not_on_roll",
            "error": body["rejected"][0]["error"],
        }
    ]
    assert await _stored(client, school) == [(MONDAY, "AM", "I"), (TUESDAY, "AM", "/")]


async def test_more_than_10000_marks_is_413_batch_too_large_and_nothing_is_stored(client, school):
    items = [mark(school.upn, MONDAY, "AM", "/")] * 10_001

    response = await _post(client, school, *items)

    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "batch_too_large"
    assert await _stored(client, school) == []


async def test_exactly_10000_marks_are_accepted(client, school):
    # The same session 10,000 times: the first is new, the other 9,999 repeat it.
    items = [mark(school.upn, MONDAY, "AM", "/")] * 10_000

    response = await _post(client, school, *items)

    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "amended": 0, "unchanged": 9_999, "rejected": []}


async def test_lowercase_code_is_stored_as_its_upper_case_code(client, school):
    response = await _post(
        client, school, mark(school.upn, MONDAY, "AM", "n"), mark(school.upn, MONDAY, "PM", "c1")
    )

    assert response.json()["accepted"] == 2
    assert await _stored(client, school) == [(MONDAY, "AM", "N"), (MONDAY, "PM", "C1")]


async def test_slash_and_backslash_present_codes_are_accepted(client, school):
    response = await _post(
        client, school, mark(school.upn, MONDAY, "AM", "/"), mark(school.upn, MONDAY, "PM", "\\")
    )

    assert response.json() == {"accepted": 2, "amended": 0, "unchanged": 0, "rejected": []}
    assert await _stored(client, school) == [(MONDAY, "AM", "/"), (MONDAY, "PM", "\\")]


async def test_marks_are_filtered_by_from_and_to_inclusive(client, school):
    dates = ["2026-11-09", "2026-11-10", MONDAY, TUESDAY, WEDNESDAY]
    await _post(client, school, *(mark(school.upn, d, "AM", "/") for d in dates))

    assert [d for d, _, _ in await _stored(client, school, **{"from": "2026-11-10", "to": TUESDAY})] == [
        "2026-11-10",
        MONDAY,
        TUESDAY,
    ]
    assert [d for d, _, _ in await _stored(client, school, **{"from": MONDAY})] == [
        MONDAY,
        TUESDAY,
        WEDNESDAY,
    ]
    assert [d for d, _, _ in await _stored(client, school, to="2026-11-10")] == ["2026-11-09", "2026-11-10"]


async def test_posting_marks_without_a_token_is_401(client, school):
    response = await client.post(_marks_url(school), json={"marks": [mark(school.upn, MONDAY)]})

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await _stored(client, school) == []


async def test_mis_token_for_another_school_is_403_forbidden_school(client, school):
    other_mis = auth("mis", schools=[new_urn()], sub="mis-elsewhere", name="Other MIS")

    response = await _post(client, school, mark(school.upn, MONDAY), headers=other_mis)

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden_school"
    assert await _stored(client, school) == []


async def test_mis_token_for_a_school_never_registered_is_404_unknown_school(client):
    urn = new_urn()
    mis = auth("mis", schools=[urn], sub=f"mis-{urn}")

    response = await client.post(
        f"/v1/schools/{urn}/marks", json={"marks": [mark(new_upn(), MONDAY)]}, headers=mis
    )

    assert response.status_code == 404
    assert response.json()["code"] == "unknown_school"


async def test_malformed_items_are_rejected_alone_and_the_rest_is_stored(client, school):
    items = [
        mark(school.upn, "2026-11-16"),
        {"upn": school.upn, "date": 20261117, "session": "AM", "code": "/"},
        {"upn": school.upn, "date": "2026-11-17", "session": "AM", "code": None},
        mark(school.upn, "2026-11-18", "pm", "\\"),
    ]
    answer = await client.post(f"/v1/schools/{school.urn}/marks", json={"marks": items}, headers=school.mis)
    assert answer.status_code == 200
    body = answer.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["error_code"], r["code"]) for r in body["rejected"]] == [
        (1, "bad_item", "/"),
        (2, "bad_item", None),
    ]
    stored = await client.get(f"/v1/schools/{school.urn}/pupils/{school.upn}/marks", headers=school.mis)
    assert [(m["date"], m["session"]) for m in stored.json()["marks"]] == [
        ("2026-11-16", "AM"),
        ("2026-11-18", "PM"),
    ]


@pytest.mark.parametrize("upn", ['A80"1', "A80\\1", "A80,1", "{A801}", "null", "NULL", "", "A80 1}"])
async def test_a_upn_with_characters_special_to_postgresql_arrays_is_an_unknown_pupil(client, school, upn):
    rejected = await _rejected_between_two_good_marks(client, school, mark(upn, TUESDAY, "AM", "N"))
    assert (rejected["upn"], rejected["error_code"]) == (upn, "unknown_pupil")


def _nested(depth: int) -> dict:
    value: list = []
    for _ in range(depth):
        value = [value]
    return {"a": value}


@pytest.mark.parametrize("idempotency_key", [None, "nested-1"])
async def test_a_deeply_nested_upn_or_code_is_rejected_alone_and_echoed_as_clipped_text(
    client, school, idempotency_key
):
    bad = {"upn": _nested(400), "date": TUESDAY, "session": "AM", "code": _nested(400)}
    headers = {**school.mis, "Idempotency-Key": idempotency_key} if idempotency_key else None

    response = await _post(client, school, mark(school.upn, MONDAY, "AM", "/"), bad, headers=headers)

    assert response.status_code == 200, response.text
    rejected = response.json()["rejected"]
    assert [(r["index"], r["error_code"]) for r in rejected] == [(1, "bad_item")]
    assert rejected[0]["upn"] == rejected[0]["code"] == '{"a": ' + "[" * 44


async def test_a_long_upn_and_code_are_echoed_clipped_to_50_characters(client, school):
    rejected = await _rejected_between_two_good_marks(
        client, school, mark("A" * 5_000, TUESDAY, "AM", "Z" * 5_000)
    )

    assert (rejected["upn"], rejected["code"]) == ("A" * 50, "Z" * 50)
    assert rejected["error_code"] == "unknown_code"
    assert len(rejected["error"]) < 100


async def test_a_number_sent_as_a_upn_is_echoed_as_its_text(client, school):
    rejected = await _rejected_between_two_good_marks(
        client, school, {"upn": 42, "date": TUESDAY, "session": "AM", "code": True}
    )

    assert (rejected["upn"], rejected["code"], rejected["error_code"]) == ("42", "true", "bad_item")


async def test_more_than_10000_marks_are_refused_413_before_any_item_is_validated(client, school):
    # Items that are not even objects: validating them would be a 422; counting them is a 413.
    response = await client.post(_marks_url(school), json={"marks": [0] * 10_001}, headers=school.mis)

    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large"


async def test_a_rejection_that_tells_of_a_pupils_record_is_in_the_audit_log_under_that_pupil(client, school):
    rejected = await _rejected_between_two_good_marks(
        client, school, mark(school.upn, "2025-08-29", "AM", "N")
    )
    assert rejected["error_code"] == "before_start_date"  # its message gives the start date

    answer = await client.get("/v1/audit", params={"upn": school.upn}, headers=auth("admin"))

    entries = [(e["resource"], e["school_urn"], e["action"]) for e in answer.json()["entries"]]
    assert ("/v1/schools/{urn}/marks", school.urn, "change") in entries
