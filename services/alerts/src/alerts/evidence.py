"""Evidence for alerts: the figures and the marks (date, session, code) behind each one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from alerts.state import Day, PupilChanges
from attendance_common.codes import UNAUTHORISED_FOR_PENALTY

EvidenceFn = Callable[[], Awaitable[dict[str, Any]]]


ABSENCE_CODES = {"C1", "M", "J1", "S", "C2", "C", "T", "R", "I", "E", "G", "N", "O", "U"}


def date_key(date: dt.date | None) -> str:
    return date.isoformat() if date else "-"


def static(evidence: dict[str, Any]) -> EvidenceFn:
    async def load() -> dict[str, Any]:
        return evidence

    return load


def new_n(change: PupilChanges) -> bool:
    return any("N" in after and "N" not in before for before, after in change.days.values())


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
