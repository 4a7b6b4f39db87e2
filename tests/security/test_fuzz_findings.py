"""Regressions for what the fuzzer found, each a 500 before: NUL characters (PostgreSQL refuses them in
text) and a time filter that overflows when converted to UTC."""

from __future__ import annotations

import pytest
from security_routes import PUPIL, pupil_body
from security_world import ADMIN, UPN, headers_of

pytestmark = pytest.mark.integration

FOUND = [
    ("alerts", "GET", "/v1/rules?school=%00"),
    ("alerts", "GET", "/v1/audit?upn=r%00e"),
    ("registers", "GET", "/v1/schools/1%0042/attendance"),
]


@pytest.mark.parametrize(("service", "method", "target"), FOUND)
async def test_a_nul_character_is_a_400_problem_not_a_500(stack, service, method, target):
    answer = await stack.clients[service].request(method, target, headers=ADMIN)

    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "nul_character"


async def test_a_nul_character_in_a_body_is_a_400_problem_not_a_500(stack):
    body = b'{"name": "Matrix\\u0000Primary", "la_code": "380"}'
    headers = {**ADMIN, "content-type": "application/json"}
    answer = await stack.clients["registers"].put("/v1/schools/142857", content=body, headers=headers)

    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "nul_character"  # as in the path or query, not a generic bad_request


async def test_a_time_filter_out_of_range_in_utc_is_a_422_problem_not_a_500(stack):
    params = {"from": "9999-12-31T23:59:59-23:00"}
    answer = await stack.clients["registers"].get("/v1/audit", params=params, headers=ADMIN)

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "bad_time"


# The ends of the calendar in a period (fuzz_deep.py with edge dates): the month after 9999-12-31 and the
# academic year before 0001-01-01 do not exist, and each was a 500 from the summaries and pupil lists.
PERIODS = [
    ("/v1/schools/142857/pupils/{upn}/attendance", "bad_period"),
    ("/v1/schools/142857/attendance", "bad_period"),
    ("/v1/schools/142857/attendance/pupils", "bad_range"),
    ("/v1/las/380/attendance/pupils", "bad_range"),
]


@pytest.mark.parametrize(("path", "code"), PERIODS)
@pytest.mark.parametrize("query", ["to=9999-12-31", "to=0001-01-01", "from=0001-01-01&to=2026-11-20"])
async def test_a_period_at_the_ends_of_the_calendar_is_a_422_problem_not_a_500(stack, path, code, query):
    target = f"{path.format(upn=UPN)}?{query}"

    answer = await stack.clients["registers"].get(target, headers=ADMIN)

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == code


@pytest.mark.parametrize(
    "body",
    [
        {"penalty_weeks": 10**9},
        {"ten_day_run_days": 10**9},
        {"min_possible_sessions": 10**9},
        {"illness_days": 367},
    ],
)
async def test_an_alert_threshold_past_a_school_year_is_a_422_problem(stack, body):
    """A window of a billion weeks was stored, and evaluating the school's marks overflowed."""
    answer = await stack.clients["alerts"].put("/v1/rules/school:142857", json=body, headers=ADMIN)

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    ("field", "value"),
    [("start_date", "0001-01-01"), ("start_date", "9999-12-31"), ("date_of_birth", "9999-12-31")],
)
async def test_a_pupil_dated_at_the_ends_of_the_calendar_is_a_422_problem(stack, field, value):
    """A start in year 1 let marks of year 1 in; alerts look weeks before a mark, and year 1 has none."""
    body = {**pupil_body(), field: value}

    answer = await stack.clients["registers"].put(PUPIL, json=body, headers=ADMIN)

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_error"


async def test_a_deletion_dated_at_the_ends_of_the_calendar_is_a_422_problem(stack):
    body = {"ground": "moved_away", "date": "9999-12-31"}

    answer = await stack.clients["registers"].post(f"{PUPIL}/deletion", json=body, headers=ADMIN)

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_error"


@pytest.mark.parametrize("query", ["to=0001-01-01", "to=9999-12-31", "from=0001-01-01"])
async def test_a_parents_period_at_the_ends_of_the_calendar_is_a_422_problem_not_a_500(stack, query):
    target = f"/v1/parent/children/{UPN}/attendance?{query}"

    answer = await stack.clients["notifications"].get(target, headers=headers_of("parent"))

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "bad_period"
