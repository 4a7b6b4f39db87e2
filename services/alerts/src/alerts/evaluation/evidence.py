"""Evidence for alerts: the figures and the marks (date, session, code) behind each one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from alerts.evaluation.pupil_state import Day, PupilChanges, pupil_days
from attendance_common.codes import UNAUTHORISED_FOR_PENALTY, academic_year_end, academic_year_start

EvidenceFn = Callable[[], Awaitable[dict[str, Any]]]


ABSENCE_CODES = {"C1", "M", "J1", "S", "C2", "C", "T", "R", "I", "E", "G", "N", "O", "U"}


def date_key(date: dt.date | None) -> str:
    return date.isoformat() if date else "-"


def static(evidence: dict[str, Any]) -> EvidenceFn:
    async def load() -> dict[str, Any]:
        return evidence

    return load


def n_changed(change: PupilChanges) -> bool:
    """An `N` was added or removed on some day: which Ns are overdue may have changed."""
    return any(("N" in after) != ("N" in before) for before, after in change.days.values())


def evidence_marks(days: dict[dt.date, Day], codes: Iterable[str]) -> list[dict[str, str]]:
    wanted = set(codes)
    return [
        {"date": date.isoformat(), "session": session, "code": code}
        for date in sorted(days)
        for session, code in zip(("AM", "PM"), days[date], strict=True)
        if code in wanted
    ]


def run_evidence(run: list[dt.date], marks: dict[dt.date, Day]) -> dict[str, Any]:
    return {
        "figures": {
            "school_days": len(run),
            "from": run[0].isoformat() if run else None,
            "to": run[-1].isoformat() if run else None,
        },
        "marks": evidence_marks({d: marks[d] for d in run}, UNAUTHORISED_FOR_PENALTY),
    }


def year_evidence(
    session: AsyncSession,
    pupil_id: int,
    year: dt.date,
    codes: Iterable[str],
    figures: Callable[[dt.date], dict[str, Any]],
) -> EvidenceFn:
    """The year's marks with these codes; `figures` gets the last marked date (the window's end).

    The whole year is read, not just up to the batch's dates: a late-posted earlier mark can be
    the one that raises the alert, and the counts behind it cover every mark of the year.
    """

    async def load() -> dict[str, Any]:
        days = await pupil_days(session, pupil_id, year, academic_year_end(year))
        return {"figures": figures(max(days, default=year)), "marks": evidence_marks(days, codes)}

    return load


def illness_figures(illness_days: int, threshold: int, year: dt.date, last: dt.date) -> dict[str, Any]:
    return {
        "illness_days": illness_days,
        "threshold": threshold,
        "window": {"from": year.isoformat(), "to": last.isoformat()},
    }


def evidence_year(evidence: dict[str, Any]) -> dt.date | None:
    """The academic year a year-counted alert was raised for (its window, else its first mark)."""
    first = (evidence.get("figures", {}).get("window") or {}).get("from") or next(
        (m["date"] for m in evidence.get("marks", [])), None
    )
    return academic_year_start(dt.date.fromisoformat(first)) if first else None


def evidence_dates(evidence: dict[str, Any]) -> list[dt.date]:
    """The first and last dates of the run (ten-day) or window (penalty) an alert was raised for."""
    figures = evidence.get("figures", {})
    span = figures.get("window", figures)
    return [dt.date.fromisoformat(span[k]) for k in ("from", "to") if span.get(k)]


def window_evidence(
    session: AsyncSession, pupil_id: int, window: list[dt.date], sessions: int, threshold: int
) -> EvidenceFn:
    """The G/N/O/U marks of the school weeks (Mondays) in the penalty window."""

    async def load() -> dict[str, Any]:
        end = window[-1] + dt.timedelta(days=6) if window else None
        days = await pupil_days(session, pupil_id, window[0], end) if window and end else {}
        return {
            "figures": {
                "sessions": sessions,
                "threshold": threshold,
                "window": {
                    "school_weeks": len(window),
                    "from": window[0].isoformat() if window else None,
                    "to": end.isoformat() if end else None,
                },
            },
            "marks": evidence_marks(days, UNAUTHORISED_FOR_PENALTY),
        }

    return load
