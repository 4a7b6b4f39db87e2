"""Bands and trends of the pupil lists (api.md "Finding pupils who need support", domain.md 10), as
exact rules on session counts: a rate is compared as a fraction, never as a rounded float."""

from __future__ import annotations

from fractions import Fraction

from attendance_common.codes import PERSISTENT_THRESHOLD, SEVERE_THRESHOLD, Counts, absence_at_least
from attendance_common.errors import Unprocessable

AT_RISK_THRESHOLD = Fraction(1, 20)
# Highest band first: a pupil is in the first whose threshold the absence rate reaches.
THRESHOLDS = {
    "severe": SEVERE_THRESHOLD,
    "persistent": PERSISTENT_THRESHOLD,
    "at_risk": AT_RISK_THRESHOLD,
    "expected": Fraction(0),
}
BANDS = tuple(THRESHOLDS)
TREND_STEP = Fraction(1, 20)  # the recent rate this far above or below the period's is a trend
TREND_MIN_SESSIONS = 10  # fewer recent possible sessions than this say nothing about a trend


def band(counts: Counts) -> str | None:
    """The pupil's band from the period's absence rate; None without possible sessions."""
    if counts.possible_sessions == 0:
        return None
    return next(name for name, threshold in THRESHOLDS.items() if absence_at_least(counts, threshold))


def trend(period: Counts, recent: Counts) -> str | None:
    """`worsening` when the recent rate is at least 0.05 above the period's, `improving` at least 0.05
    below, else `steady`; None when either rate is null or the recent window is under 10 sessions."""
    if period.possible_sessions == 0 or recent.possible_sessions < TREND_MIN_SESSIONS:
        return None
    change = _rate(recent) - _rate(period)
    if change >= TREND_STEP:
        return "worsening"
    if change <= -TREND_STEP:
        return "improving"
    return "steady"


def _rate(counts: Counts) -> Fraction:
    return Fraction(counts.absence_sessions, counts.possible_sessions)


def parse_bands(text: str | None) -> frozenset[str]:
    """`band=` as a comma list of band names (none: every pupil); 422 `unknown_band` otherwise."""
    if text is None:
        return frozenset()
    names = [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name not in THRESHOLDS]
    if unknown:
        raise Unprocessable(
            "unknown_band", f"unknown band {', '.join(map(repr, unknown))}: use {', '.join(BANDS)}"
        )
    return frozenset(names)
