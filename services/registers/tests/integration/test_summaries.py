"""Attendance summaries through the API, against numbers worked out by hand (domain.md 3, api.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from registers_factories import auth, mark, new_upn, new_urn, pupil_body, school_body
from sqlalchemy import update

from attendance_common.clock import today_in_london
from attendance_common.codes import academic_year_start
from registers.models import Pupil

pytestmark = pytest.mark.integration

# Ten school days, Monday 2 to Friday 13 November 2026.
DAYS = [f"2026-11-{day:02d}" for day in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13)]
SESSIONS = [(day, session) for day in DAYS for session in ("AM", "PM")]
PERIOD = {"from": "2026-11-02", "to": "2026-11-13"}


async def post_marks(client, school, marks: list[dict[str, Any]]) -> None:
    answer = await client.post(f"/v1/schools/{school.urn}/marks", json={"marks": marks}, headers=school.mis)
    assert answer.status_code == 200
    assert answer.json()["rejected"] == [], answer.json()


def sessions(upn: str, codes: list[str]) -> list[dict[str, Any]]:
    """One mark per code, on consecutive sessions from Monday 2 November 2026."""
    return [mark(upn, day, session, code) for (day, session), code in zip(SESSIONS, codes, strict=False)]


async def attendance(client, school, upn: str | None = None, **params: str) -> dict[str, Any]:
    answer = await client.get(
        f"/v1/schools/{school.urn}/pupils/{upn or school.upn}/attendance", params=params, headers=school.mis
    )
    assert answer.status_code == 200, answer.json()
    return answer.json()


# One pupil


async def test_pupil_attendance_counts_each_category_and_its_rates(client, school):
    # 16 present (14 in-register, 2 late), 1 educational visit, 2 illness, 1 no reason yet.
    codes = ["/", "\\"] * 7 + ["L", "L", "V", "I", "I", "N"]
    await post_marks(client, school, sessions(school.upn, codes))
    assert await attendance(client, school, **PERIOD) == {
        "upn": school.upn,
        "from": "2026-11-02",
        "to": "2026-11-13",
        "possible_sessions": 20,
        "present": 16,
        "approved_educational_activity": 1,
        "authorised_absence": 2,
        "unauthorised_absence": 1,
        "attendance_rate": pytest.approx(0.85),
        "absence_rate": pytest.approx(0.15),
        "persistent_absence": True,
        "severe_absence": False,
    }


async def test_half_the_sessions_absent_is_severe_absence(client, school):
    await post_marks(client, school, sessions(school.upn, ["/", "O", "\\", "G"]))
    summary = await attendance(client, school, **PERIOD)
    assert (summary["absence_rate"], summary["persistent_absence"], summary["severe_absence"]) == (
        0.5,
        True,
        True,
    )


@pytest.mark.parametrize("code", ["X", "Y1", "Y7", "D", "Q", "#", "Z"])
async def test_a_code_that_is_not_a_possible_session_leaves_the_counts_unchanged(client, school, code):
    await post_marks(client, school, sessions(school.upn, ["/", "N"]))
    before = await attendance(client, school, **PERIOD)
    await post_marks(client, school, [mark(school.upn, "2026-11-03", "AM", code)])
    after = await attendance(client, school, **PERIOD)
    assert before["possible_sessions"] == 2
    assert after == before


async def test_from_and_to_limit_the_marks_counted_both_ends_included(client, school):
    await post_marks(client, school, sessions(school.upn, ["N"] * 8))  # 2 to 5 November
    summary = await attendance(client, school, **{"from": "2026-11-03", "to": "2026-11-04"})
    assert summary["possible_sessions"] == 4
    assert (summary["from"], summary["to"]) == ("2026-11-03", "2026-11-04")


async def test_the_default_period_is_the_academic_year_to_date(client, school):
    today = today_in_london()
    summary = await attendance(client, school)
    assert (summary["from"], summary["to"]) == (academic_year_start(today).isoformat(), today.isoformat())


@pytest.mark.parametrize(
    ("to", "expected_from"),
    [
        ("2026-11-20", "2026-09-01"),
        ("2026-09-01", "2026-09-01"),
        ("2026-08-31", "2025-09-01"),
        ("2027-08-31", "2026-09-01"),
    ],
)
async def test_the_default_from_is_1_september_of_the_academic_year_containing_to(
    client, school, to, expected_from
):
    summary = await attendance(client, school, to=to)
    assert (summary["from"], summary["to"]) == (expected_from, to)


async def test_marks_from_the_previous_academic_year_are_left_out_by_default(client, school):
    today = today_in_london().isoformat()
    await post_marks(client, school, [mark(school.upn, "2025-10-01", code="N"), mark(school.upn, today)])
    summary = await attendance(client, school)
    assert (summary["possible_sessions"], summary["unauthorised_absence"]) == (1, 0)


async def test_an_explicit_from_reaches_back_into_the_previous_academic_year(client, school):
    today = today_in_london().isoformat()
    await post_marks(client, school, [mark(school.upn, "2025-10-01", code="N"), mark(school.upn, today)])
    summary = await attendance(client, school, **{"from": "2025-09-01"})
    assert (summary["possible_sessions"], summary["unauthorised_absence"]) == (2, 1)


async def test_from_after_to_is_422_bad_period(client, school):
    answer = await client.get(
        f"/v1/schools/{school.urn}/pupils/{school.upn}/attendance",
        params={"from": "2026-11-10", "to": "2026-11-09"},
        headers=school.mis,
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "bad_period"


async def test_with_no_marks_the_rates_are_null_and_the_flags_false(client, school):
    summary = await attendance(client, school, **PERIOD)
    assert summary["possible_sessions"] == 0
    assert (summary["attendance_rate"], summary["absence_rate"]) == (None, None)
    assert (summary["persistent_absence"], summary["severe_absence"]) == (False, False)


# A whole school


@dataclass
class Cohort:
    urn: str
    mis: dict[str, str]


def characteristics(year_group: str, fsm: bool, sen: str, sw: bool) -> dict[str, Any]:
    return pupil_body(year_group=year_group, fsm_eligible=fsm, sen_status=sen, has_social_worker=sw)


@pytest.fixture
async def cohort(client) -> Cohort:
    """Four pupils, absence worked out by hand over 2-6 November 2026 (10 sessions each):

    | pupil | year | FSM | SEN | SW | possible | absent | rate | PA | SA |
    | P1    | 6    | yes | N   | no | 10       | 1 I    | 0.1  | y  | n  |
    | P2    | 6    | no  | K   | y  | 10       | 5 N    | 0.5  | y  | y  |
    | P3    | 5    | no  | N   | no | 10       | 0      | 0.0  | n  | n  |
    | P4    | R    | yes | E   | no | 0        | -      | null | -  | -  |
    """
    school = Cohort(urn=new_urn(), mis={})
    school.mis = auth("mis", schools=[school.urn])
    assert (
        await client.put(f"/v1/schools/{school.urn}", json=school_body(), headers=auth("admin"))
    ).status_code == 201
    pupils = [
        (characteristics("6", True, "N", False), ["I"] + ["/"] * 9),
        (characteristics("6", False, "K", True), ["N"] * 5 + ["/"] * 5),
        (characteristics("5", False, "N", False), ["/"] * 10),
        (characteristics("R", True, "E", False), []),
    ]
    marks: list[dict[str, Any]] = []
    for body, codes in pupils:
        upn = new_upn()
        answer = await client.put(f"/v1/schools/{school.urn}/pupils/{upn}", json=body, headers=school.mis)
        assert answer.status_code == 201
        marks += sessions(upn, codes)
    await post_marks(client, school, marks)
    return school


async def school_attendance(client, school, **params: str) -> dict[str, Any]:
    answer = await client.get(
        f"/v1/schools/{school.urn}/attendance", params={**PERIOD, **params}, headers=school.mis
    )
    assert answer.status_code == 200, answer.json()
    return answer.json()


def group(pupils: int, possible: int, absence: float | None, pa: float | None, sa: float | None) -> dict:
    approx = [None if value is None else pytest.approx(value) for value in (absence, pa, sa)]
    return dict(
        zip(
            ["pupils", "possible_sessions", "absence_rate", "persistent_absence_rate", "severe_absence_rate"],
            [pupils, possible, *approx],
            strict=True,
        )
    )


def by_key(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g.pop("key"): g for g in summary["groups"]}


async def test_school_summary_pools_absence_over_every_pupil_on_roll(client, cohort):
    # 6 absent sessions of 30 possible; PA 2 of the 4 pupils (P4, with no sessions yet, counts), SA 1 of 4.
    summary = await school_attendance(client, cohort)
    assert (summary["from"], summary["to"]) == ("2026-11-02", "2026-11-13")
    assert summary["overall"] == group(4, 30, 0.2, 2 / 4, 1 / 4)


async def test_school_summary_by_year_group_leaves_out_empty_groups(client, cohort):
    summary = await school_attendance(client, cohort, group_by="year_group")
    assert by_key(summary) == {
        "R": group(1, 0, None, None, None),
        "5": group(1, 10, 0.0, 0.0, 0.0),
        "6": group(2, 20, 0.3, 1.0, 0.5),
    }


async def test_school_summary_by_fsm_eligible_keys_true_and_false(client, cohort):
    summary = await school_attendance(client, cohort, group_by="fsm_eligible")
    assert by_key(summary) == {
        "true": group(2, 10, 0.1, 0.5, 0.0),
        "false": group(2, 20, 0.25, 0.5, 0.5),
    }


async def test_school_summary_by_sen_status(client, cohort):
    summary = await school_attendance(client, cohort, group_by="sen_status")
    assert by_key(summary) == {
        "N": group(2, 20, 0.05, 0.5, 0.0),
        "K": group(1, 10, 0.5, 1.0, 1.0),
        "E": group(1, 0, None, None, None),
    }


async def test_school_summary_by_has_social_worker(client, cohort):
    summary = await school_attendance(client, cohort, group_by="has_social_worker")
    assert by_key(summary) == {
        "true": group(1, 10, 0.5, 1.0, 1.0),
        "false": group(3, 20, 0.05, 1 / 3, 0.0),
    }


async def set_deleted_on(app, urn: str, upn: str, date: dt.date) -> None:
    """The API never backdates a deletion, so a pupil who left long ago is made in the table."""
    async with app.state.database.transaction() as session:
        await session.execute(
            update(Pupil)
            .where(Pupil.school_urn == urn, Pupil.upn == upn)
            .values(deleted_on=date, deletion_ground="moved_away")
        )


async def test_a_pupil_deleted_before_the_period_is_not_counted(client, school, app):
    leaver = new_upn()
    await client.put(f"/v1/schools/{school.urn}/pupils/{leaver}", json=pupil_body(), headers=school.mis)
    await post_marks(
        client, school, [mark(leaver, "2025-10-01", code="N"), *sessions(school.upn, ["/", "/"])]
    )
    await set_deleted_on(app, school.urn, leaver, dt.date(2025, 12, 1))
    summary = await school_attendance(client, school)
    assert summary["overall"] == group(1, 2, 0.0, 0.0, 0.0)


async def test_a_pupil_deleted_during_the_period_is_counted(client, school, app):
    leaver = new_upn()
    await client.put(f"/v1/schools/{school.urn}/pupils/{leaver}", json=pupil_body(), headers=school.mis)
    await post_marks(client, school, [*sessions(leaver, ["N", "N"]), *sessions(school.upn, ["/", "/"])])
    await set_deleted_on(app, school.urn, leaver, dt.date(2026, 11, 2))
    summary = await school_attendance(client, school)
    assert summary["overall"] == group(2, 4, 0.5, 0.5, 0.5)


async def test_a_pupil_starting_after_the_period_is_not_counted(client, school):
    joiner = new_upn()
    body = pupil_body(start_date="2026-11-16")
    await client.put(f"/v1/schools/{school.urn}/pupils/{joiner}", json=body, headers=school.mis)
    summary = await school_attendance(client, school)
    assert summary["overall"]["pupils"] == 1


@pytest.mark.parametrize("group_by", ["ethnicity", "year", "FSM_ELIGIBLE", ""])
async def test_an_unknown_group_by_is_422(client, school, group_by):
    answer = await client.get(
        f"/v1/schools/{school.urn}/attendance", params={**PERIOD, "group_by": group_by}, headers=school.mis
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "validation_error"


async def test_a_school_summary_with_from_after_to_is_422_bad_period(client, school):
    answer = await client.get(
        f"/v1/schools/{school.urn}/attendance",
        params={"from": "2026-11-10", "to": "2026-11-09"},
        headers=school.mis,
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "bad_period"
