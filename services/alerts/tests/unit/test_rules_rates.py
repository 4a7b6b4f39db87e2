"""The rate and per-date alert rules and their thresholds (domain.md 3-5, api.md "Alerts").

Hand-worked examples: each boundary is checked on both sides with exact session counts.
"""

from dataclasses import replace
from datetime import date as D
from fractions import Fraction

from alerts.rules import (
    ALERT_TYPES,
    DEFAULT,
    Thresholds,
    first_day_absence_holds,
    merge,
    overdue_n_holds,
    persistent_absence_holds,
    rate_figures,
    resolve,
    severe_absence_holds,
    social_worker_absence_holds,
)
from attendance_common.codes import Counts

# Monday 8 September 2025, in the first full week of the 2025/26 autumn term.
TERM_MONDAY = D(2025, 9, 8)


def absent(absences: int, possible: int) -> Counts:
    """A pupil with `absences` unauthorised absences out of `possible` sessions, the rest present."""
    return Counts(present=possible - absences, unauthorised_absence=absences)


# Persistent absence: opens at >= 10% with >= 30 possible sessions, clears only below 9%.


def test_exactly_ten_percent_with_thirty_sessions_opens_persistent_absence():
    assert persistent_absence_holds(absent(3, 30), False, DEFAULT)


def test_just_under_ten_percent_does_not_open_persistent_absence():
    assert not persistent_absence_holds(absent(999, 10_000), False, DEFAULT)


def test_ten_percent_with_only_twenty_nine_possible_sessions_does_not_open_persistent_absence():
    # 2.9 / 29 is 10% but cannot be marked; 3 / 29 is over 10% and still too few sessions.
    assert not persistent_absence_holds(absent(3, 29), False, DEFAULT)


def test_authorised_and_unauthorised_absence_both_count_towards_persistent_absence():
    counts = Counts(present=27, authorised_absence=2, unauthorised_absence=1)
    assert persistent_absence_holds(counts, False, DEFAULT)


def test_approved_educational_activity_counts_as_attendance_not_absence():
    # 3 absences over 30 possible: the 7 `K`/`V`/... sessions sit in the denominator only.
    counts = Counts(present=20, approved_educational_activity=7, unauthorised_absence=3)
    assert persistent_absence_holds(counts, False, DEFAULT)
    assert not persistent_absence_holds(replace(counts, unauthorised_absence=2, present=21), False, DEFAULT)


def test_open_persistent_absence_alert_at_nine_and_a_half_percent_stays_open():
    assert persistent_absence_holds(absent(95, 1000), True, DEFAULT)


def test_closed_persistent_absence_alert_at_nine_and_a_half_percent_does_not_open():
    assert not persistent_absence_holds(absent(95, 1000), False, DEFAULT)


def test_open_persistent_absence_alert_at_exactly_nine_percent_stays_open():
    assert persistent_absence_holds(absent(9, 100), True, DEFAULT)


def test_open_persistent_absence_alert_below_nine_percent_clears():
    assert not persistent_absence_holds(absent(899, 10_000), True, DEFAULT)


def test_open_persistent_absence_alert_clears_when_no_possible_sessions_remain():
    assert not persistent_absence_holds(Counts(), True, DEFAULT)


def test_lower_configured_minimum_of_possible_sessions_lets_persistent_absence_open_earlier():
    t = merge(DEFAULT, {"min_possible_sessions": 20})
    assert persistent_absence_holds(absent(2, 20), False, t)
    assert not persistent_absence_holds(absent(2, 20), False, DEFAULT)


def test_higher_configured_minimum_of_possible_sessions_holds_persistent_absence_back():
    t = merge(DEFAULT, {"min_possible_sessions": 40})
    assert not persistent_absence_holds(absent(4, 35), False, t)
    assert persistent_absence_holds(absent(4, 40), False, t)


# Severe absence: opens at >= 50% with >= 30 possible sessions, clears only below 49%.


def test_exactly_fifty_percent_with_thirty_sessions_opens_severe_absence():
    assert severe_absence_holds(absent(15, 30), False, DEFAULT)


def test_just_under_fifty_percent_does_not_open_severe_absence():
    assert not severe_absence_holds(absent(4999, 10_000), False, DEFAULT)


def test_fifty_percent_with_only_twenty_eight_possible_sessions_does_not_open_severe_absence():
    assert not severe_absence_holds(absent(14, 28), False, DEFAULT)


def test_open_severe_absence_alert_at_forty_nine_and_a_half_percent_stays_open():
    assert severe_absence_holds(absent(495, 1000), True, DEFAULT)


def test_open_severe_absence_alert_at_exactly_forty_nine_percent_stays_open():
    assert severe_absence_holds(absent(49, 100), True, DEFAULT)


def test_open_severe_absence_alert_below_forty_nine_percent_clears():
    assert not severe_absence_holds(absent(489, 1000), True, DEFAULT)


# Per-date alerts: first-day absence and a pupil with a social worker.


def test_an_n_on_the_date_opens_first_day_absence():
    assert first_day_absence_holds(["/", "N"])


def test_no_n_on_the_date_means_no_first_day_absence():
    # `O` is unauthorised but is a settled reason, not a first-day call.
    assert not first_day_absence_holds(["O", "I"])


def test_no_marks_on_the_date_means_no_first_day_absence():
    assert not first_day_absence_holds([])


def test_n_for_a_pupil_with_a_social_worker_opens_the_social_worker_alert():
    assert social_worker_absence_holds(True, ["N", "\\"])


def test_o_for_a_pupil_with_a_social_worker_opens_the_social_worker_alert():
    assert social_worker_absence_holds(True, ["/", "O"])


def test_other_absence_for_a_pupil_with_a_social_worker_does_not_open_the_social_worker_alert():
    assert not social_worker_absence_holds(True, ["I", "G"])


def test_n_or_o_for_a_pupil_without_a_social_worker_never_opens_the_social_worker_alert():
    assert not social_worker_absence_holds(False, ["N", "O"])


# Overdue `N`: still there once the school has recorded 5 further school days.


def test_n_with_four_further_school_days_is_not_yet_overdue():
    assert not overdue_n_holds(TERM_MONDAY, 4, DEFAULT)


def test_n_with_five_further_school_days_is_overdue():
    assert overdue_n_holds(TERM_MONDAY, 5, DEFAULT)


def test_configured_overdue_deadline_changes_when_n_becomes_overdue():
    t = merge(DEFAULT, {"overdue_n_school_days": 3})
    assert not overdue_n_holds(TERM_MONDAY, 2, t)
    assert overdue_n_holds(TERM_MONDAY, 3, t)


# Thresholds per scope: default, then `la:{code}`, then `school:{urn}`, field by field.


def test_no_configured_scopes_resolve_to_the_statutory_defaults():
    assert resolve({}, "100001", "202") == DEFAULT


def test_the_default_scope_overrides_the_built_in_defaults():
    t = resolve({"default": {"min_possible_sessions": 40}}, "100001", "202")
    assert t == replace(DEFAULT, min_possible_sessions=40)


def test_la_scope_overrides_the_default_scope():
    scopes = {"default": {"min_possible_sessions": 40}, "la:202": {"min_possible_sessions": 20}}
    assert resolve(scopes, "100001", "202").min_possible_sessions == 20


def test_another_las_scope_does_not_apply():
    scopes = {"la:203": {"min_possible_sessions": 20}}
    assert resolve(scopes, "100001", "202") == DEFAULT


def test_school_scope_overrides_its_la_for_the_same_field_while_other_la_fields_still_apply():
    scopes = {
        "default": {"illness_days": 12},
        "la:202": {"min_possible_sessions": 20, "overdue_n_school_days": 3},
        "school:100001": {"min_possible_sessions": 50},
    }
    t = resolve(scopes, "100001", "202")
    assert (t.min_possible_sessions, t.overdue_n_school_days, t.illness_days) == (50, 3, 12)


def test_school_scope_applies_when_the_school_has_no_la():
    scopes = {"la:202": {"illness_days": 10}, "school:100001": {"penalty_sessions": 8}}
    assert resolve(scopes, "100001", None) == replace(DEFAULT, penalty_sessions=8)


def test_enabled_restricts_the_alert_types_to_those_listed():
    scopes = {"la:202": {"enabled": ["persistent_absence", "severe_absence"]}}
    assert resolve(scopes, "100001", "202").enabled == {"persistent_absence", "severe_absence"}


def test_school_enabled_replaces_the_las_list_rather_than_adding_to_it():
    scopes = {"la:202": {"enabled": ["persistent_absence"]}, "school:100001": {"enabled": ["overdue_n"]}}
    assert resolve(scopes, "100001", "202").enabled == {"overdue_n"}


def test_all_alert_types_are_enabled_by_default():
    assert DEFAULT.enabled == set(ALERT_TYPES)


def test_a_rate_given_as_a_float_is_read_as_the_exact_decimal():
    assert merge(DEFAULT, {"persistent_rate": 0.12}).persistent_rate == Fraction(3, 25)


def test_a_float_rate_of_ten_percent_still_opens_at_exactly_ten_percent():
    # The float 0.1 is a hair above 1/10; read naively, 3 absences in 30 would not reach it.
    t = merge(DEFAULT, {"persistent_rate": 0.1, "persistent_clear_below": 0.09})
    assert t == DEFAULT
    assert persistent_absence_holds(absent(3, 30), False, t)


def test_a_configured_float_rate_opens_at_that_rate_exactly():
    t = merge(DEFAULT, {"persistent_rate": 0.12})
    assert persistent_absence_holds(absent(12, 100), False, t)
    assert not persistent_absence_holds(absent(1199, 10_000), False, t)


def test_default_thresholds_round_trip_through_json():
    assert merge(DEFAULT, DEFAULT.as_json()) == DEFAULT


def test_configured_thresholds_round_trip_through_json():
    t = Thresholds(
        persistent_rate=Fraction(3, 25),
        persistent_clear_below=Fraction(1, 10),
        severe_rate=Fraction(1, 3),
        min_possible_sessions=20,
        overdue_n_school_days=3,
        enabled=frozenset({"severe_absence", "first_day_absence"}),
    )
    assert merge(DEFAULT, t.as_json()) == t


# The figures an alert carries as evidence.


def test_rate_figures_give_the_rate_its_numerator_denominator_and_window():
    counts = Counts(present=25, approved_educational_activity=2, authorised_absence=2, unauthorised_absence=1)
    assert rate_figures(counts, D(2025, 9, 1), D(2025, 10, 10)) == {
        "rate": 0.1,
        "numerator": 3,
        "denominator": 30,
        "window": {"from": "2025-09-01", "to": "2025-10-10"},
    }


def test_rate_figures_have_no_rate_when_there_are_no_possible_sessions():
    figures = rate_figures(Counts(), D(2025, 9, 1), D(2025, 9, 1))
    assert (figures["rate"], figures["numerator"], figures["denominator"]) == (None, 0, 0)
