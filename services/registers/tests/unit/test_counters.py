"""Monthly counters: splitting a period into whole months and edges, and the deltas marks cause."""

from datetime import date as D

import pytest

from registers.counters import month_deltas, split_period


@pytest.mark.parametrize(
    ("start", "end", "months", "edges"),
    [
        (
            D(2026, 9, 1),
            D(2026, 11, 22),
            (D(2026, 9, 1), D(2026, 10, 31)),
            [(D(2026, 11, 1), D(2026, 11, 22))],
        ),
        (D(2025, 9, 1), D(2026, 8, 31), (D(2025, 9, 1), D(2026, 8, 31)), []),
        (D(2026, 9, 15), D(2026, 9, 20), None, [(D(2026, 9, 15), D(2026, 9, 20))]),
        (D(2026, 9, 15), D(2026, 10, 5), None, [(D(2026, 9, 15), D(2026, 10, 5))]),
        (
            D(2026, 9, 15),
            D(2026, 12, 5),
            (D(2026, 10, 1), D(2026, 11, 30)),
            [(D(2026, 9, 15), D(2026, 9, 30)), (D(2026, 12, 1), D(2026, 12, 5))],
        ),
        (D(2024, 2, 1), D(2024, 2, 29), (D(2024, 2, 1), D(2024, 2, 29)), []),
        (D(2026, 12, 1), D(2026, 12, 31), (D(2026, 12, 1), D(2026, 12, 31)), []),
    ],
)
def test_a_period_splits_into_whole_months_and_edge_days(start, end, months, edges):
    assert split_period(start, end) == (months, edges)


def test_every_day_of_a_period_is_covered_exactly_once():
    start, end = D(2025, 8, 17), D(2026, 3, 9)
    months, edges = split_period(start, end)
    covered = (months[1] - months[0]).days + 1 + sum((b - a).days + 1 for a, b in edges)
    assert covered == (end - start).days + 1


def test_new_marks_count_in_their_category_and_not_counted_codes_in_none():
    deltas = month_deltas([(1, D(2026, 11, 2), "/"), (1, D(2026, 11, 3), "N"), (1, D(2026, 11, 4), "X")], [])
    assert deltas == {(1, D(2026, 11, 1)): [1, 0, 0, 1]}


def test_an_amendment_moves_one_session_between_categories():
    assert month_deltas([], [(7, D(2026, 10, 5), "N", "I")]) == {(7, D(2026, 10, 1)): [0, 0, 1, -1]}


def test_an_amendment_within_a_category_changes_nothing():
    assert month_deltas([], [(7, D(2026, 10, 5), "N", "O")]) == {}


def test_an_amendment_to_a_not_counted_code_removes_the_session():
    assert month_deltas([], [(7, D(2026, 10, 5), "/", "Y1")]) == {(7, D(2026, 10, 1)): [-1, 0, 0, 0]}
