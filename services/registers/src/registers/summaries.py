"""Attendance summaries (domain.md section 3): monthly counters plus the marks of partial months."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Literal, TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.bounds import EARLIEST_DATE, LATEST_DATE
from attendance_common.codes import (
    Counts,
    academic_year_start,
    is_persistent_absence,
    is_severe_absence,
    pooled_rate,
    summarise,
)
from attendance_common.errors import Unprocessable
from registers import counters
from registers.models import Pupil, School
from registers.schemas import GroupSummary, KeyedGroupSummary, PupilAttendance, SchoolAttendance

GroupBy = Literal["year_group", "fsm_eligible", "sen_status", "has_social_worker"]
# domain.md 10: counts of fewer than 5 pupils are not published to governors, as DfE does.
SUPPRESS_UNDER = 5
Summary = TypeVar("Summary", bound=GroupSummary)
_FIGURES = ("pupils", "possible_sessions", "absence_rate", "persistent_absence_rate", "severe_absence_rate")


# The month after `to` or the academic year before it must exist: at 9999-12-31 it did not (a 500).
EARLIEST, LATEST = EARLIEST_DATE, LATEST_DATE


def period(start: dt.date | None, end: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """Default: the academic year (1 Sep-31 Aug) containing `end`, which defaults to today."""
    for name, day in (("from", start), ("to", end)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise Unprocessable("bad_period", f"{name} ({day}) must be between {EARLIEST} and {LATEST}")
    end = end or today
    start = start or academic_year_start(end)
    if start > end:
        raise Unprocessable("bad_period", f"from ({start}) is after to ({end})")
    return start, end


def _counts(values: list[int] | None) -> Counts:
    return Counts(*values) if values else Counts()


async def pupil_attendance(
    session: AsyncSession, *, pupil: Pupil, start: dt.date, end: dt.date
) -> PupilAttendance:
    totals = await counters.counts_by_pupil(session, start, end, pupil_id=pupil.id)
    summary = summarise(_counts(totals.get(pupil.id)))
    return PupilAttendance.model_validate({"upn": pupil.upn, "from": start, "to": end, **summary})


async def school_attendance(
    session: AsyncSession, *, school: School, start: dt.date, end: dt.date, group_by: GroupBy | None
) -> SchoolAttendance:
    """Pupils on roll at any time in the period, overall and by one characteristic."""
    on_roll = and_(
        Pupil.school_urn == school.urn,
        Pupil.start_date <= end,
        or_(Pupil.deleted_on.is_(None), Pupil.deleted_on >= start),
    )
    attribute = getattr(Pupil, group_by) if group_by else Pupil.year_group
    pupils: dict[int, object] = dict(
        (await session.execute(select(Pupil.id, attribute).where(on_roll))).all()
    )
    totals = await counters.counts_by_pupil(session, start, end, on_roll=on_roll)
    counts = {pupil_id: _counts(values) for pupil_id, values in totals.items()}
    groups: dict[str, list[Counts]] = defaultdict(list)
    for pupil_id, value in pupils.items():
        groups[_key(value)].append(counts.get(pupil_id, Counts()))
    every = [c for members in groups.values() for c in members]
    return SchoolAttendance.model_validate(
        {
            "from": start,
            "to": end,
            "overall": _summary(every),
            "groups": [
                KeyedGroupSummary(key=key, **_summary(members).model_dump())
                for key, members in sorted(groups.items(), key=lambda item: _sort_key(item[0]))
            ]
            if group_by
            else [],
        }
    )


def _summary(members: Iterable[Counts]) -> GroupSummary:
    """Pooled absence rate; PA/SA rates are shares of `pupils` (api.md: "share of those pupils"), so
    a pupil on roll with no possible sessions yet counts in the denominator; null, as every rate,
    when the group has no possible sessions."""
    members = list(members)
    possible = sum(c.possible_sessions for c in members)
    counted = members if possible else []
    return GroupSummary(
        pupils=len(members),
        possible_sessions=possible,
        absence_rate=pooled_rate(members),
        persistent_absence_rate=_share(counted, is_persistent_absence),
        severe_absence_rate=_share(counted, is_severe_absence),
    )


def suppressed(summary: Summary) -> Summary:
    """The summary as a governor sees it: under 5 pupils, its figures null and `suppressed`."""
    if summary.pupils is None or summary.pupils >= SUPPRESS_UNDER:
        return summary
    return summary.model_copy(update=dict.fromkeys(_FIGURES) | {"suppressed": True})


def for_governor(summary: SchoolAttendance) -> SchoolAttendance:
    return summary.model_copy(
        update={"overall": suppressed(summary.overall), "groups": [suppressed(g) for g in summary.groups]}
    )


def _share(members: list[Counts], test: Any) -> float | None:
    return sum(1 for c in members if test(c)) / len(members) if members else None


def _key(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


_YEAR_ORDER = ["N1", "N2", "R", *[str(n) for n in range(1, 15)]]


def _sort_key(key: str) -> tuple[int, str]:
    return (_YEAR_ORDER.index(key), key) if key in _YEAR_ORDER else (len(_YEAR_ORDER), key)
