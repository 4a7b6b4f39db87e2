"""Bands and trends of the pupil lists at their exact thresholds (api.md "Finding pupils who need
support"): 0.15 - 0.10 is 0.04999... in floats, exactly 0.05 here."""

from __future__ import annotations

import pytest

from attendance_common.codes import Counts
from attendance_common.errors import Unprocessable
from registers.bands import band, parse_bands, trend


def counts(absent: int, possible: int) -> Counts:
    return Counts(present=possible - absent, unauthorised_absence=absent)


@pytest.mark.parametrize(
    ("absent", "possible", "expected"),
    [
        (0, 0, None),
        (0, 20, "expected"),
        (99, 2000, "expected"),  # 0.0495
        (1, 20, "at_risk"),  # exactly 0.05
        (199, 2000, "at_risk"),  # 0.0995
        (2, 20, "persistent"),  # exactly 0.10
        (999, 2000, "persistent"),  # 0.4995
        (10, 20, "severe"),  # exactly 0.50
        (20, 20, "severe"),
    ],
)
def test_band_from_the_absence_rate(absent, possible, expected):
    assert band(counts(absent, possible)) == expected


@pytest.mark.parametrize(
    ("period", "recent", "expected"),
    [
        ((10, 100), (3, 20), "worsening"),  # 0.15 - 0.10 = exactly 0.05
        ((10, 100), (3, 21), "steady"),  # 0.1428...: just under 0.05 above
        ((10, 100), (1, 20), "improving"),  # 0.05 - 0.10 = exactly -0.05
        ((10, 100), (11, 100), "steady"),
        ((10, 100), (1, 10), "steady"),  # recent 10 sessions: enough
        ((10, 100), (9, 9), None),  # recent 9 sessions: too few to say
        ((0, 0), (5, 20), None),  # no period rate
        ((5, 50), (0, 0), None),  # no recent rate
    ],
)
def test_trend_compares_the_recent_rate_with_the_periods_exactly(period, recent, expected):
    assert trend(counts(*period), counts(*recent)) == expected


def test_bands_are_a_comma_list_of_known_names():
    assert parse_bands("severe, at_risk") == {"severe", "at_risk"}
    assert parse_bands(None) == frozenset()
    for bad in ("Severe", "severe,", "high", ""):
        with pytest.raises(Unprocessable) as refused:
            parse_bands(bad)
        assert refused.value.code == "unknown_band"
