"""The attendance report (api.md "Reports for leaders, governors, trusts and LAs"), against figures
worked out by hand and against the school summary (the same fractions). The schools, pupils and marks,
and the figures by hand: registers_report_world.py."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from registers_factories import auth, mark, new_upn, new_urn, pupil_body
from registers_report_world import ADMIN, PERIOD, SCHOOL_A, SCHOOL_B, World, seed_world

from attendance_common.clock import today_in_london
from attendance_common.codes import academic_year_start

pytestmark = pytest.mark.integration


@pytest.fixture
async def world(client) -> World:
    return await seed_world(client)


async def report(client, scope: str, headers=ADMIN, status: int = 200, **params: Any) -> dict[str, Any]:
    answer = await client.get(
        "/v1/reports/attendance",
        params={k: v for k, v in {"scope": scope, **PERIOD, **params}.items() if v is not None},
        headers=headers,
    )
    assert answer.status_code == status, answer.text
    return answer.json()


def figures(pupils, possible, authorised, unauthorised, persistent, severe, measured=None) -> dict[str, Any]:
    measured = pupils if measured is None else measured
    return {
        "pupils": pupils,
        "possible_sessions": possible,
        "absence_rate": (authorised + unauthorised) / possible,
        "authorised_absence_rate": authorised / possible,
        "unauthorised_absence_rate": unauthorised / possible,
        "persistent_absence_rate": persistent / measured,
        "severe_absence_rate": severe / measured,
    }


SCHOOL_A_OVERALL = figures(6, 240, 11, 26, 3, 1)


async def test_a_school_report_has_its_figures_groups_reasons_and_national_comparison(client, world):
    body = await report(client, f"school:{world.a}")

    assert body["scope"] == f"school:{world.a}"
    assert (body["from"], body["to"], body["interval"]) == ("2026-09-28", "2026-10-31", "week")
    assert body["overall"] == SCHOOL_A_OVERALL
    assert body["groups"]["year_group"] == [
        {"key": "5", **figures(3, 120, 1, 2, 0, 0)},
        {"key": "6", **figures(3, 120, 10, 24, 3, 1)},
    ]
    assert body["groups"]["fsm_eligible"] == [
        {"key": "false", **figures(4, 160, 0, 26, 2, 1)},
        {"key": "true", **figures(2, 80, 11, 0, 1, 0)},
    ]
    assert [g["key"] for g in body["groups"]["sen_status"]] == ["K", "N"]
    assert body["groups"]["has_social_worker"][1] == {"key": "true", **figures(1, 40, 0, 0, 0, 0)}
    reasons = {r["code"]: r["sessions"] for r in body["reasons"]}
    assert {code: n for code, n in reasons.items() if n} == {"I": 10, "M": 1, "O": 20, "N": 2, "G": 4}
    assert {r["category"] for r in body["reasons"] if r["code"] in "IM"} == {"authorised_absence"}
    assert len(reasons) == 14  # every absence code of the table, 0 where none
    assert body["schools"] is None
    assert body["national"] == {
        "period": "2025/26 year to date (8 September 2025 to 10 July 2026)",
        "phase": "primary",
        "absence_rate": 0.0528,
        "persistent_absence_rate": 0.1377,
        "source": body["national"]["source"],
    }
    assert "Pupil attendance in schools" in body["national"]["source"]


async def test_the_weekly_series_has_every_week_holidays_without_rates(client, world):
    series = (await report(client, f"school:{world.a}"))["series"]

    def point(start: str, end: str, possible: int, authorised: int, unauthorised: int) -> dict[str, Any]:
        return {
            "start": start,
            "end": end,
            "possible_sessions": possible,
            "absence_rate": (authorised + unauthorised) / possible,
            "authorised_absence_rate": authorised / possible,
            "unauthorised_absence_rate": unauthorised / possible,
        }

    assert series == [
        point("2026-09-28", "2026-10-04", 60, 0, 12),
        point("2026-10-05", "2026-10-11", 60, 10, 10),
        point("2026-10-12", "2026-10-18", 60, 0, 4),
        point("2026-10-19", "2026-10-25", 60, 1, 0),
        {
            "start": "2026-10-26",
            "end": "2026-10-31",
            "possible_sessions": 0,
            "absence_rate": None,
            "authorised_absence_rate": None,
            "unauthorised_absence_rate": None,
        },
    ]


async def test_a_monthly_series_cuts_months_to_the_period(client, world):
    series = (await report(client, f"school:{world.a}", interval="month"))["series"]

    assert [(p["start"], p["end"], p["possible_sessions"]) for p in series] == [
        ("2026-09-28", "2026-09-30", 36),
        ("2026-10-01", "2026-10-31", 204),
    ]
    assert series[0]["unauthorised_absence_rate"] == 8 / 36  # a2's O on 3 days, a3's N on 28 Sep
    assert series[1]["absence_rate"] == 29 / 204


@pytest.mark.parametrize(
    "period", [PERIOD, {"from": "2026-09-01", "to": "2026-10-31"}, {"from": "2026-09-30", "to": "2026-10-20"}]
)
async def test_figures_are_the_school_summarys_fractions(client, world, period):
    """Whole months from the counters, edge days from the marks: the report divides what the summary does."""
    body = await report(client, f"school:{world.a}", **period)
    for group_by in ("year_group", "fsm_eligible", "sen_status", "has_social_worker"):
        answer = await client.get(
            f"/v1/schools/{world.a}/attendance", params={**period, "group_by": group_by}, headers=ADMIN
        )
        summary = answer.json()
        shared = (
            "pupils",
            "possible_sessions",
            "absence_rate",
            "persistent_absence_rate",
            "severe_absence_rate",
        )
        assert {k: body["overall"][k] for k in shared} == summary["overall"]
        assert [{k: g[k] for k in ("key", *shared)} for g in body["groups"][group_by]] == summary["groups"]
    assert sum(p["possible_sessions"] for p in body["series"]) == body["overall"]["possible_sessions"]


async def test_a_trust_report_has_a_row_per_school_and_its_phases_national_figures(client, world):
    body = await report(client, f"trust:{world.trust}", headers=auth("trust_officer", trust=world.trust))

    assert [(s["urn"], s["name"]) for s in body["schools"]] == [
        (world.a, "Ash Primary"),
        (world.b, "Birch Primary"),
    ]
    assert {k: v for k, v in body["schools"][0].items() if k not in ("urn", "name")} == SCHOOL_A_OVERALL
    assert body["schools"][1] == {"urn": world.b, "name": "Birch Primary", **figures(3, 120, 2, 0, 0, 0)}
    assert body["overall"] == figures(9, 360, 13, 26, 3, 1)
    assert body["national"]["phase"] == "primary"  # "primary" and "Primary" are one phase


async def test_an_la_report_of_mixed_phases_has_no_national_figures(client, world):
    body = await report(client, f"la:{world.la}", headers=auth("la_officer", la=world.la))

    assert [s["urn"] for s in body["schools"]] == [world.a, world.b, world.c]
    assert body["overall"]["pupils"] == 10
    assert body["national"] is None
    assert [g["key"] for g in body["groups"]["year_group"]] == ["3", "4", "5", "6", "9"]


async def test_a_governor_sees_groups_of_fewer_than_5_pupils_suppressed(client, world):
    body = await report(client, f"school:{world.a}", headers=auth("governor", schools=[world.a]))

    assert body["overall"] == SCHOOL_A_OVERALL
    suppressed = dict.fromkeys(SCHOOL_A_OVERALL) | {"suppressed": True}
    assert body["groups"]["year_group"] == [{"key": "5", **suppressed}, {"key": "6", **suppressed}]
    assert body["groups"]["sen_status"] == [
        {"key": "K", **suppressed},
        {"key": "N", **figures(5, 200, 11, 6, 2, 0)},
    ]
    assert all(not point.get("suppressed") for point in body["series"])


async def test_a_governor_of_a_small_school_sees_nothing_of_it_but_that_it_is_suppressed(client, world):
    body = await report(client, f"school:{world.b}", headers=auth("governor", schools=[world.b]))

    assert body["overall"] == dict.fromkeys(SCHOOL_A_OVERALL) | {"suppressed": True}
    assert all(p["suppressed"] and p["absence_rate"] is None for p in body["series"])
    assert all(r["suppressed"] and r["sessions"] is None for r in body["reasons"])


async def test_trustees_governing_every_school_of_a_trust_read_it_small_schools_suppressed(client, world):
    trustee = auth("governor", schools=[world.a, world.b])

    body = await report(client, f"trust:{world.trust}", headers=trustee)

    assert "suppressed" not in body["schools"][0]
    assert body["schools"][1] == {
        "urn": world.b,
        "name": "Birch Primary",
        **dict.fromkeys(SCHOOL_A_OVERALL),
        "suppressed": True,
    }
    await report(client, f"trust:{world.trust}", headers=auth("governor", schools=[world.a]), status=403)


async def test_the_default_period_is_the_academic_year_to_date(client, world):
    body = await report(client, f"school:{world.a}", **{"from": None, "to": None})

    assert body["to"] == str(today_in_london())
    assert body["from"] == str(academic_year_start(today_in_london()))


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"scope": "district:380"}, "unknown_scope"),
        ({"scope": "school:12345"}, "unknown_scope"),
        ({"interval": "day"}, "unknown_interval"),
        ({"from": "2026-10-31", "to": "2026-09-28"}, "bad_range"),
    ],
)
async def test_bad_input_is_a_422_problem(client, world, params, code):
    answer = await client.get(
        "/v1/reports/attendance", params={"scope": f"school:{world.a}", **PERIOD, **params}, headers=ADMIN
    )

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code


async def test_scopes_outside_the_callers_reach_are_403_and_unknown_ones_404(client, world):
    cases = [
        (f"school:{world.b}", auth("school_staff", schools=[world.a]), 403, "forbidden_school"),
        (f"school:{world.c}", auth("trust_officer", trust=world.trust), 403, "forbidden_school"),
        (f"school:{world.a}", auth("mis", schools=[world.a]), 403, "forbidden_role"),
        (f"school:{world.a}", auth("parent", email="parent@example.com"), 403, "forbidden_role"),
        (f"trust:{world.trust}", auth("trust_officer", trust="T-other"), 403, "forbidden_trust"),
        (f"trust:{world.trust}", auth("school_staff", schools=[world.a]), 403, "forbidden_trust"),
        (f"la:{world.la}", auth("la_officer", la="999"), 403, "forbidden_la"),
        (f"la:{world.la}", auth("trust_officer", trust=world.trust), 403, "forbidden_la"),
        ("school:999998", ADMIN, 404, "unknown_school"),
        ("trust:T-nobody", ADMIN, 404, "unknown_trust"),
    ]
    for scope, headers, status, code in cases:
        answer = await client.get("/v1/reports/attendance", params={"scope": scope}, headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (status, code), (scope, answer.text)


# The page and the CSV


async def test_the_page_is_html_with_the_charts_drawn_as_svg_and_no_pupil_named(client, world):
    answer = await client.get(
        "/v1/reports/attendance.html", params={"scope": f"trust:{world.trust}", **PERIOD}, headers=ADMIN
    )

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    page = answer.text
    assert page.count("<svg") == 1 + 4 + 1  # over time, PA and SA by 4 characteristics, reasons
    assert "<script" not in page
    assert 'role="img"' in page and "aria-label=" in page
    assert "Ash Primary" in page and "Birch Primary" in page
    for name in [*SCHOOL_A, *SCHOOL_B]:
        assert f"Given{name}" not in page and f"Family{name}" not in page


async def test_the_csv_is_the_series(client, world):
    answer = await client.get(
        "/v1/reports/attendance.csv",
        params={"scope": f"school:{world.a}", "interval": "month", **PERIOD},
        headers=ADMIN,
    )

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in answer.headers["content-disposition"]
    assert list(csv.reader(io.StringIO(answer.text))) == [
        [
            "start",
            "end",
            "possible_sessions",
            "absence_rate",
            "authorised_absence_rate",
            "unauthorised_absence_rate",
            "suppressed",
        ],
        ["2026-09-28", "2026-09-30", "36", str(8 / 36), "0.0", str(8 / 36), "false"],
        ["2026-10-01", "2026-10-31", "204", str(29 / 204), str(11 / 204), str(18 / 204), "false"],
    ]


async def test_a_bad_scope_for_the_page_or_csv_is_a_problem_too(client, world):
    for suffix in (".html", ".csv"):
        answer = await client.get(f"/v1/reports/attendance{suffix}", params={"scope": "la:38"}, headers=ADMIN)
        assert answer.status_code == 422
        assert answer.json()["code"] == "unknown_scope"


async def test_a_period_to_today_reads_this_months_counter_and_matches_the_summary(client):
    """No mark is dated after today, so this month's counter is its marks up to today."""
    urn, upn, today = new_urn(), new_upn(), today_in_london()
    school = {"name": "Today Primary", "la_code": "380", "phase": "primary"}
    assert (await client.put(f"/v1/schools/{urn}", json=school, headers=ADMIN)).status_code == 201
    assert (await client.put(f"/v1/schools/{urn}/pupils/{upn}", json=pupil_body(), headers=ADMIN)).is_success
    days = [today - dt.timedelta(days=n) for n in range(40)]
    marks = [
        mark(upn, str(day), session, "I" if day.day % 3 == 0 else "/")
        for day in days
        for session in ("AM", "PM")
    ]
    assert (await client.post(f"/v1/schools/{urn}/marks", json={"marks": marks}, headers=ADMIN)).is_success

    for start in (today.replace(day=1), days[-1], days[-1].replace(day=1)):
        period = {"from": str(start), "to": str(today)}
        body = await report(client, f"school:{urn}", **period)
        summary = (await client.get(f"/v1/schools/{urn}/attendance", params=period, headers=ADMIN)).json()
        assert {k: body["overall"][k] for k in summary["overall"]} == summary["overall"], period
        assert body["overall"]["possible_sessions"] == 2 * sum(1 for day in days if day >= start)
