"""The pupil lists (api.md "Finding pupils who need support"), against figures worked out by hand.

The school holds five weeks of sessions, 5 October to 13 November 2026, with half term (26-30 October)
marked `#` (no school days); the period is that whole span, 50 possible sessions a pupil. Its last 20
school days up to 13 November are the weeks of 12 October, 19 October, 2 and 9 November (40 sessions).

| pupil | absent                        | period  | band       | recent | trend     |
| A     | I all of W4, W5 (20)          | 20/50   | persistent | 20/40  | worsening |
| B     | O all of W1, W2, N 5 of W3    | 25/50   | severe     | 15/40  | improving |
| C     | N 3 of W1                     | 3/50    | at_risk    | 0/40   | improving |
| D     | I 2 of W5                     | 2/50    | expected   | 2/40   | steady    |
| E     | no marks                      | 0       | null       | 0      | null      |
| F     | I all of W1, G all of W2 (20) | 20/50   | persistent | 10/40  | improving |
| G     | from 11 Nov: N 1 of 6         | 1/6     | persistent | 1/6    | null (<10)|
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from registers_factories import auth, mark, new_upn, new_urn, pupil_body, school_body

pytestmark = pytest.mark.integration

MONDAYS = {"W1": "2026-10-05", "W2": "2026-10-12", "W3": "2026-10-19", "HT": "2026-10-26"}
MONDAYS |= {"W4": "2026-11-02", "W5": "2026-11-09"}
PERIOD = {"from": "2026-10-05", "to": "2026-11-13"}
ADMIN = auth("admin")
_la_codes = itertools.count(600)


def week(name: str) -> list[tuple[str, str]]:
    """The ten (date, session)s of a school week."""
    monday = dt.date.fromisoformat(MONDAYS[name])
    days = [(monday + dt.timedelta(days=n)).isoformat() for n in range(5)]
    return [(day, session) for day in days for session in ("AM", "PM")]


ALL_WEEKS = ["W1", "W2", "W3", "W4", "W5"]


def codes(absent: dict[str, tuple[str, int]]) -> dict[tuple[str, str], str]:
    """Every session of the five weeks `/`, half term `#`, and per week (code, how many sessions) absent."""
    marks = {slot: "#" for slot in week("HT")}
    for name in ALL_WEEKS:
        code, count = absent.get(name, ("/", 0))
        marks |= {slot: (code if i < count else "/") for i, slot in enumerate(week(name))}
    return marks


PUPILS: dict[str, tuple[dict[str, Any], dict[tuple[str, str], str] | None]] = {
    "A": ({"year_group": "6", "fsm_eligible": True}, codes({"W4": ("I", 10), "W5": ("I", 10)})),
    "B": (
        {"year_group": "6", "sen_status": "K"},
        codes({"W1": ("O", 10), "W2": ("O", 10), "W3": ("N", 5)}),
    ),
    "C": ({"year_group": "5", "has_social_worker": True}, codes({"W1": ("N", 3)})),
    "D": ({"year_group": "5", "fsm_eligible": True}, codes({"W5": ("I", 2)})),
    "E": ({"year_group": "R"}, None),
    "F": ({"year_group": "6", "sen_status": "E"}, codes({"W1": ("I", 10), "W2": ("G", 10)})),
    "G": (
        {"year_group": "6", "start_date": "2026-11-11"},
        {slot: "/" for slot in week("W5")[4:]} | {week("W5")[4]: "N"},
    ),
}


async def put_school(client, urn: str, la_code: str = "380") -> None:
    answer = await client.put(f"/v1/schools/{urn}", json=school_body(la_code=la_code), headers=ADMIN)
    assert answer.status_code == 201


async def put_pupils(client, urn: str, pupils: dict[str, tuple[dict[str, Any], Any]]) -> dict[str, str]:
    """Each pupil on roll with their marks; name -> UPN."""
    upns, marks = {}, []
    for name, (fields, sessions) in pupils.items():
        upn = upns[name] = new_upn()
        start = fields.get("start_date", "2025-09-01")
        body = pupil_body(
            start_date=start,
            year_group=fields.get("year_group", "6"),
            **{k: v for k, v in fields.items() if k not in ("start_date", "year_group")},
        )
        body["given_name"] = name
        assert (
            await client.put(f"/v1/schools/{urn}/pupils/{upn}", json=body, headers=ADMIN)
        ).status_code == 201
        marks += [mark(upn, day, session, code) for (day, session), code in (sessions or {}).items()]
    answer = await client.post(f"/v1/schools/{urn}/marks", json={"marks": marks}, headers=ADMIN)
    assert answer.json()["rejected"] == [], answer.json()
    return upns


@pytest.fixture
async def school(client) -> tuple[str, dict[str, str]]:
    urn = new_urn()
    await put_school(client, urn)
    return urn, await put_pupils(client, urn, PUPILS)


async def listing(client, urn: str, headers: dict[str, str] = ADMIN, **params: Any) -> dict[str, Any]:
    answer = await client.get(
        f"/v1/schools/{urn}/attendance/pupils", params={**PERIOD, **params}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def names(page: dict[str, Any]) -> list[str]:
    return [row["given_name"] for row in page["pupils"]]


def by_rate_then_upn(upns: dict[str, str], rates: dict[str, float | None]) -> list[str]:
    """Highest rate first, no rate last, ties by UPN."""
    return sorted(rates, key=lambda n: (rates[n] is None, -(rates[n] or 0), upns[n]))


RATES = {"A": 20 / 50, "B": 25 / 50, "C": 3 / 50, "D": 2 / 50, "E": None, "F": 20 / 50, "G": 1 / 6}


async def test_each_pupil_has_the_periods_figures_band_recent_window_and_trend(client, school):
    urn, upns = school
    rows = {row["given_name"]: row for row in (await listing(client, urn))["pupils"]}

    assert rows["A"] == {
        "upn": upns["A"],
        "given_name": "A",
        "family_name": "Lovelace",
        "year_group": "6",
        "characteristics": {"fsm_eligible": True, "sen_status": "N", "has_social_worker": False},
        "possible_sessions": 50,
        "absence_rate": 20 / 50,
        "authorised_absence": 20,
        "unauthorised_absence": 0,
        "band": "persistent",
        "recent": {
            "from": "2026-10-12",
            "to": "2026-11-13",
            "possible_sessions": 40,
            "absence_rate": 20 / 40,
        },
        "trend": "worsening",
    }
    figures = {
        name: (
            row["possible_sessions"],
            row["absence_rate"],
            row["authorised_absence"],
            row["unauthorised_absence"],
        )
        for name, row in rows.items()
    }
    assert figures == {
        "A": (50, 0.4, 20, 0),
        "B": (50, 0.5, 0, 25),
        "C": (50, 3 / 50, 0, 3),
        "D": (50, 2 / 50, 2, 0),
        "E": (0, None, 0, 0),
        "F": (50, 0.4, 10, 10),
        "G": (6, 1 / 6, 0, 1),
    }
    bands = {name: (row["band"], row["trend"]) for name, row in rows.items()}
    assert bands == {
        "A": ("persistent", "worsening"),
        "B": ("severe", "improving"),
        "C": ("at_risk", "improving"),
        "D": ("expected", "steady"),
        "E": (None, None),
        "F": ("persistent", "improving"),
        "G": ("persistent", None),
    }
    recent = {
        name: (row["recent"]["possible_sessions"], row["recent"]["absence_rate"])
        for name, row in rows.items()
    }
    assert recent == {
        "A": (40, 0.5),
        "B": (40, 15 / 40),
        "C": (40, 0.0),
        "D": (40, 2 / 40),
        "E": (0, None),
        "F": (40, 10 / 40),
        "G": (6, 1 / 6),
    }


async def test_the_figures_are_the_school_summarys_fractions(client, school):
    urn, _ = school
    rows = (await listing(client, urn))["pupils"]
    summary = (await client.get(f"/v1/schools/{urn}/attendance", params=PERIOD, headers=ADMIN)).json()

    assert summary["overall"]["pupils"] == len(rows) == 7
    assert summary["overall"]["possible_sessions"] == sum(row["possible_sessions"] for row in rows)
    absent = sum(row["authorised_absence"] + row["unauthorised_absence"] for row in rows)
    assert summary["overall"]["absence_rate"] == absent / summary["overall"]["possible_sessions"]


async def test_by_default_highest_rate_first_ties_by_upn_and_no_rate_last(client, school):
    urn, upns = school
    page = await listing(client, urn)
    assert names(page) == by_rate_then_upn(upns, RATES)
    assert names(page)[0] == "B" and names(page)[-1] == "E"
    assert page["next"] is None


async def test_sort_by_upn(client, school):
    urn, upns = school
    assert names(await listing(client, urn, sort="upn")) == sorted(upns, key=upns.get)


@pytest.mark.parametrize("sort", ["absence_rate", "upn"])
@pytest.mark.parametrize("limit", [1, 2, 3])
async def test_pages_follow_on_without_gaps_or_repeats_across_ties(client, school, sort, limit):
    urn, _ = school
    whole = names(await listing(client, urn, sort=sort))
    seen, after = [], None
    for _ in range(10):
        page = await listing(client, urn, sort=sort, limit=limit, **({"after": after} if after else {}))
        assert len(page["pupils"]) <= limit
        seen += names(page)
        after = page["next"]
        if after is None:
            break
    assert seen == whole


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"band": "severe"}, {"B"}),
        ({"band": "persistent"}, {"A", "F", "G"}),
        ({"band": "at_risk,expected"}, {"C", "D"}),
        ({"band": "severe, persistent"}, {"A", "B", "F", "G"}),
        ({"year_group": "5"}, {"C", "D"}),
        ({"fsm_eligible": "true"}, {"A", "D"}),
        ({"fsm_eligible": "false", "year_group": "6"}, {"B", "F", "G"}),
        ({"sen_status": "K"}, {"B"}),
        ({"has_social_worker": "true"}, {"C"}),
        ({"band": "persistent", "year_group": "5"}, set()),
    ],
)
async def test_filters(client, school, params, expected):
    urn, _ = school
    assert set(names(await listing(client, urn, **params))) == expected


async def test_the_band_filter_draws_each_line_where_the_bands_do(client):
    """20 sessions each: 1 absent is exactly 0.05 (at risk), 2 exactly 0.10 (persistent), 10 exactly 0.50."""
    urn = new_urn()
    await put_school(client, urn)
    absent = {"none": 0, "one": 1, "two": 2, "ten": 10}
    sessions = week("W4") + week("W5")
    pupils = {
        name: ({}, {slot: ("N" if i < count else "/") for i, slot in enumerate(sessions)})
        for name, count in absent.items()
    }
    await put_pupils(client, urn, pupils)
    window = {"from": "2026-11-02", "to": "2026-11-13"}
    listed = {row["given_name"]: row["band"] for row in (await listing(client, urn, **window))["pupils"]}
    assert listed == {"none": "expected", "one": "at_risk", "two": "persistent", "ten": "severe"}
    for name, wanted in listed.items():
        assert names(await listing(client, urn, band=wanted, **window)) == [name]


async def test_a_band_filter_pages_too(client, school):
    urn, upns = school
    first = await listing(client, urn, band="persistent", limit=2)
    second = await listing(client, urn, band="persistent", limit=2, after=first["next"])
    assert names(first) + names(second) == by_rate_then_upn(upns, {n: RATES[n] for n in "AFG"})
    assert second["next"] is None


async def test_a_pupil_off_roll_for_the_whole_period_is_not_listed(client, school):
    urn, _ = school
    before_g_started = {"from": "2026-10-05", "to": "2026-11-10"}
    assert "G" not in names(await listing(client, urn, **before_g_started))


async def test_recent_is_the_last_20_school_days_up_to_to_whatever_the_period(client, school):
    """Up to 23 October the last 20 school days reach back before the period's start (5 October has
    only 15 school days before it is over): the window is the 15 there are."""
    urn, _ = school
    rows = {
        row["given_name"]: row
        for row in (await listing(client, urn, **{"from": "2026-10-19", "to": "2026-10-25"}))["pupils"]
    }
    assert rows["B"]["recent"] == {
        "from": "2026-10-05",
        "to": "2026-10-23",
        "possible_sessions": 30,
        "absence_rate": 25 / 30,
    }
    assert (rows["B"]["possible_sessions"], rows["B"]["absence_rate"], rows["B"]["trend"]) == (
        10,
        0.5,
        "worsening",
    )


async def test_a_day_amended_all_to_closed_is_no_longer_a_school_day(client):
    urn = new_urn()
    await put_school(client, urn)
    upns = await put_pupils(client, urn, {"A": ({}, {slot: "/" for slot in week("W4") + week("W5")})})
    window = {"from": "2026-11-02", "to": "2026-11-13"}
    assert (await listing(client, urn, **window))["pupils"][0]["recent"]["to"] == "2026-11-13"

    closed = [mark(upns["A"], "2026-11-13", session, "#") for session in ("AM", "PM")]
    answer = await client.post(f"/v1/schools/{urn}/marks", json={"marks": closed}, headers=ADMIN)
    assert answer.json()["amended"] == 2

    recent = (await listing(client, urn, **window))["pupils"][0]["recent"]
    assert recent == {"from": "2026-11-02", "to": "2026-11-12", "possible_sessions": 18, "absence_rate": 0.0}


async def test_the_default_period_is_the_academic_year_to_today(client, school):
    urn, _ = school
    answer = await client.get(f"/v1/schools/{urn}/attendance/pupils", headers=ADMIN)
    body = answer.json()
    assert (body["from"], body["to"]) == ("2026-09-01", body["to"])
    assert dt.date.fromisoformat(body["to"]) >= dt.date(2026, 11, 13)
    assert {row["given_name"]: row["possible_sessions"] for row in body["pupils"]}["A"] == 50


# Bad input: stable codes


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"band": "high"}, 422, "unknown_band"),
        ({"band": "severe,"}, 422, "unknown_band"),
        ({"sort": "name"}, 422, "unknown_sort"),
        ({"from": "2026-11-14", "to": "2026-11-13"}, 422, "bad_range"),
        ({"after": "not-a-cursor"}, 400, "bad_cursor"),
        ({"year_group": "15"}, 422, "validation_error"),
        ({"sen_status": "X"}, 422, "validation_error"),
        ({"limit": "1001"}, 422, "validation_error"),
    ],
)
async def test_bad_input_is_a_problem_with_a_stable_code(client, school, params, status, code):
    urn, _ = school
    answer = await client.get(f"/v1/schools/{urn}/attendance/pupils", params=params, headers=ADMIN)
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_a_cursor_of_one_sort_is_not_taken_by_the_other(client, school):
    urn, _ = school
    cursor = (await listing(client, urn, sort="upn", limit=1))["next"]
    answer = await client.get(f"/v1/schools/{urn}/attendance/pupils", params={"after": cursor}, headers=ADMIN)
    assert (answer.status_code, answer.json()["code"]) == (400, "bad_cursor")


# Who


def caller(name: str, urn: str) -> dict[str, str]:
    return {
        "admin": ADMIN,
        "staff": auth("school_staff", schools=[urn]),
        "staff_elsewhere": auth("school_staff", schools=[new_urn()]),
        "trust_officer": auth("trust_officer", trust="T123"),
        "other_trust_officer": auth("trust_officer", trust="T999"),
        "la_officer": auth("la_officer", la="380"),
        "other_la_officer": auth("la_officer", la="381"),
        "mis": auth("mis", schools=[urn]),
        "governor": auth("governor", schools=[urn]),
        "social_worker": auth("social_worker", email="sam@example.com"),
        "parent": auth("parent", email="parent@example.com"),
    }[name]


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("admin", 200),
        ("staff", 200),
        ("trust_officer", 200),
        ("la_officer", 200),
        ("staff_elsewhere", 403),
        ("other_trust_officer", 403),
        ("other_la_officer", 403),
        ("mis", 403),
        ("governor", 403),
        ("social_worker", 403),
        ("parent", 403),
    ],
)
async def test_who_may_list_a_schools_pupils(client, name, status):
    urn = new_urn()
    body = {**school_body(), "trust": {"id": "T123", "name": "Matrix Trust"}}
    assert (await client.put(f"/v1/schools/{urn}", json=body, headers=ADMIN)).status_code == 201
    answer = await client.get(f"/v1/schools/{urn}/attendance/pupils", headers=caller(name, urn))
    assert answer.status_code == status, answer.text


async def test_an_unknown_school_is_404_unknown_school(client):
    answer = await client.get(f"/v1/schools/{new_urn()}/attendance/pupils", headers=ADMIN)
    assert (answer.status_code, answer.json()["code"]) == (404, "unknown_school")


# The LA's list


@pytest.fixture
async def la(client) -> tuple[str, dict[str, str], dict[str, str]]:
    """A fresh LA with two schools: the first as above, the second with school days 9-13 November only
    (one pupil, absent once); and a school elsewhere that must not show."""
    la_code = str(next(_la_codes))
    first, second, elsewhere = new_urn(), new_urn(), new_urn()
    await put_school(client, first, la_code)
    await put_school(client, second, la_code)
    await put_school(client, elsewhere, "380")
    upns = await put_pupils(client, first, PUPILS)
    only_w5 = {slot: "/" for slot in week("W5")} | {week("W5")[0]: "O"}
    upns |= await put_pupils(client, second, {"H": ({"year_group": "6"}, only_w5)})
    await put_pupils(client, elsewhere, {"X": ({"year_group": "6"}, only_w5)})
    return la_code, upns, {"H": second} | dict.fromkeys(PUPILS, first)


async def la_listing(client, la_code: str, headers: dict[str, str] = ADMIN, **params: Any) -> dict[str, Any]:
    answer = await client.get(
        f"/v1/las/{la_code}/attendance/pupils", params={**PERIOD, **params}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_an_las_list_covers_every_school_of_the_la_each_row_with_its_school(client, la):
    la_code, upns, school_of = la
    page = await la_listing(client, la_code)

    rates = RATES | {"H": 1 / 10}
    assert names(page) == by_rate_then_upn(upns, rates)
    assert {row["given_name"]: row["school_urn"] for row in page["pupils"]} == school_of
    h = next(row for row in page["pupils"] if row["given_name"] == "H")
    assert h["recent"] == {
        "from": "2026-11-09",
        "to": "2026-11-13",
        "possible_sessions": 10,
        "absence_rate": 0.1,
    }
    assert (h["band"], h["trend"]) == ("persistent", "steady")


async def test_an_las_list_pages_and_filters_like_a_schools(client, la):
    la_code, upns, _ = la
    seen, after = [], None
    while True:
        page = await la_listing(
            client, la_code, band="persistent", limit=1, **({"after": after} if after else {})
        )
        seen += names(page)
        if (after := page["next"]) is None:
            break
    assert seen == by_rate_then_upn(upns, {n: RATES.get(n, 0.1) for n in ("A", "F", "G", "H")})


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("admin", 200, None),
        ("la_officer", 200, None),
        ("other_la_officer", 403, "forbidden_la"),
        ("staff", 403, "forbidden_role"),
        ("trust_officer", 403, "forbidden_role"),
        ("governor", 403, "forbidden_role"),
        ("mis", 403, "forbidden_role"),
    ],
)
async def test_who_may_list_an_las_pupils(client, name, status, code):
    headers = caller(name, new_urn())
    answer = await client.get("/v1/las/380/attendance/pupils", params={"limit": 1}, headers=headers)
    assert answer.status_code == status, answer.text
    if code:
        assert answer.json()["code"] == code


async def test_an_la_code_that_is_not_3_digits_is_422(client):
    answer = await client.get("/v1/las/38/attendance/pupils", headers=ADMIN)
    assert answer.status_code == 422
