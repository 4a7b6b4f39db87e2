"""The report's pure rules: scopes, intervals and their buckets, national figures by phase, suppression."""

from __future__ import annotations

import datetime as dt

import pytest

from attendance_common.errors import Unprocessable
from registers.reports import national, periods
from registers.reports.access import Scope, parse_scope
from registers.reports.figures import Tally, group_figures

D = dt.date


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("school:100001", Scope("school", "100001")),
        ("trust:T123", Scope("trust", "T123")),
        ("la:380", Scope("la", "380")),
    ],
)
def test_scopes_are_school_trust_or_la(text, scope):
    assert parse_scope(text) == scope
    assert str(parse_scope(text)) == text


@pytest.mark.parametrize(
    "text", ["", "school:10001", "la:3800", "trust:", "district:1", "school:100001\n", "LA:380"]
)
def test_anything_else_is_an_unknown_scope(text):
    with pytest.raises(Unprocessable) as raised:
        parse_scope(text)
    assert raised.value.code == "unknown_scope"


def test_intervals_are_week_or_month():
    assert periods.checked_interval("month") == "month"
    with pytest.raises(Unprocessable) as raised:
        periods.checked_interval("day")
    assert raised.value.code == "unknown_interval"


def test_weeks_run_monday_to_sunday_cut_to_the_period():
    assert periods.buckets(D(2026, 9, 2), D(2026, 9, 20), "week") == [
        (D(2026, 9, 2), D(2026, 9, 6)),
        (D(2026, 9, 7), D(2026, 9, 13)),
        (D(2026, 9, 14), D(2026, 9, 20)),
    ]


def test_months_are_calendar_months_cut_to_the_period():
    assert periods.buckets(D(2025, 12, 15), D(2026, 2, 3), "month") == [
        (D(2025, 12, 15), D(2025, 12, 31)),
        (D(2026, 1, 1), D(2026, 1, 31)),
        (D(2026, 2, 1), D(2026, 2, 3)),
    ]


def test_a_one_day_period_is_one_bucket():
    assert periods.buckets(D(2026, 9, 9), D(2026, 9, 9), "week") == [(D(2026, 9, 9), D(2026, 9, 9))]


@pytest.mark.parametrize(
    ("phases", "phase"),
    [
        (["primary"], "primary"),
        (["Primary", "primary ", "Middle deemed primary"], "primary"),
        (["secondary"], "secondary"),
        (["Special"], "special"),
        (["All-through"], "all"),
        (["primary", "secondary"], None),
        (["nursery"], None),
        ([None], None),
        ([], None),
    ],
)
def test_national_figures_are_the_scopes_one_phase(phases, phase):
    figures = national.for_schools(phases)
    assert (figures.phase if figures else None) == phase


def test_the_national_table_is_domain_md_section_9():
    assert {p: (f.absence_rate, f.persistent_absence_rate) for p, f in national.FIGURES.items()} == {
        "primary": (0.0528, 0.1377),
        "secondary": (0.0849, 0.2377),
        "special": (0.1317, 0.3606),
        "all": (0.0688, 0.1878),
    }
    assert "2025/26" in national.PERIOD and "Pupil attendance in schools" in national.SOURCE


def test_a_governor_sees_no_figure_of_fewer_than_5_pupils():
    four, five = Tally(4, 4, 1, 0, 40, 2, 3), Tally(5, 5, 1, 0, 50, 2, 3)

    assert group_figures(four, suppress=True) == {
        "pupils": None,
        "possible_sessions": None,
        "absence_rate": None,
        "authorised_absence_rate": None,
        "unauthorised_absence_rate": None,
        "persistent_absence_rate": None,
        "severe_absence_rate": None,
        "suppressed": True,
    }
    assert group_figures(four)["pupils"] == 4
    assert group_figures(five, suppress=True)["absence_rate"] == 5 / 50


def test_rates_are_null_without_possible_sessions_and_shares_are_of_measured_pupils():
    figures = group_figures(Tally(pupils=3, measured=2, persistent=1, possible=20, authorised=2))
    assert figures["persistent_absence_rate"] == 1 / 2
    assert group_figures(Tally(pupils=2))["absence_rate"] is None
