"""Pupils who need support (api.md "Finding pupils who need support"): one row per pupil on roll in the
period, with the period's figures, band, the school's last 20 school days and the trend.

A page takes the same few statements whatever its size, none per pupil: the pupils in scope, their
counts over the period (counters.counts_by_pupil, as the school summary reads them: the same
fractions), then for the page alone its schools' recent windows (school_days) and its marks in them.
Bands, order and paging are worked out here, exactly: an LA of 60,000 pupils is 60,000 small rows.
Summing and sorting in one SQL statement instead makes PostgreSQL's plan hang on its statistics of a
school just loaded: 2.3 s instead of 30 ms for 2,000 pupils in tests/bench (a nested loop rescans
the sums for every pupil).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.audit import note_pupils
from attendance_common.codes import Counts, absence_rate
from attendance_common.errors import BadRequest, Unprocessable
from attendance_common.pagination import decode_cursor, encode_cursor
from registers import bands, counters, school_days
from registers.models import Mark, Pupil
from registers.schemas import PupilList, PupilRow, RecentAttendance

SORTS = ("absence_rate", "upn")


@dataclass(frozen=True)
class Filters:
    """Which pupils: bands (empty: all), and the characteristics that are set."""

    bands: frozenset[str] = frozenset()
    year_group: str | None = None
    fsm_eligible: bool | None = None
    sen_status: str | None = None
    has_social_worker: bool | None = None

    def on_pupils(self) -> list[ColumnElement[bool]]:
        wanted = {
            Pupil.year_group: self.year_group,
            Pupil.fsm_eligible: self.fsm_eligible,
            Pupil.sen_status: self.sen_status,
            Pupil.has_social_worker: self.has_social_worker,
        }
        return [column == value for column, value in wanted.items() if value is not None]


def checked_sort(sort: str) -> str:
    if sort not in SORTS:
        raise Unprocessable("unknown_sort", f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    return sort


@dataclass(frozen=True)
class _Candidate:
    pupil: Any  # a row of _PUPIL_COLUMNS
    counts: Counts


_PUPIL_COLUMNS = (
    Pupil.id,
    Pupil.school_urn,
    Pupil.upn,
    Pupil.given_name,
    Pupil.family_name,
    Pupil.year_group,
    Pupil.fsm_eligible,
    Pupil.sen_status,
    Pupil.has_social_worker,
)


async def pupil_list(
    session: AsyncSession,
    *,
    scope: ColumnElement[bool],
    start: dt.date,
    end: dt.date,
    filters: Filters,
    sort: str,
    limit: int,
    after: str | None,
    with_school: bool = False,
) -> PupilList:
    """The page of pupils `scope` (a condition on Pupil: one school, or an LA's schools) selects."""
    on_roll = and_(
        scope,
        Pupil.start_date <= end,
        or_(Pupil.deleted_on.is_(None), Pupil.deleted_on >= start),
        *filters.on_pupils(),
    )
    pupils = (await session.execute(select(*_PUPIL_COLUMNS).where(on_roll))).all()
    totals = await counters.counts_by_pupil(session, start, end, on_roll=on_roll)
    candidates = [_Candidate(pupil, Counts(*totals.get(pupil.id, ()))) for pupil in pupils]
    if filters.bands:
        candidates = [c for c in candidates if bands.band(c.counts) in filters.bands]
    key = _rate_order if sort == "absence_rate" else _upn_order
    candidates.sort(key=key)
    first = bisect.bisect_right(candidates, _position(after, sort), key=key) if after else 0
    page = candidates[first : first + limit]
    more = first + limit < len(candidates)
    recent = await _recent(session, [c.pupil for c in page], end)
    note_pupils((c.pupil.school_urn, c.pupil.upn) for c in page)
    return PupilList.model_validate(
        {
            "from": start,
            "to": end,
            "pupils": [_row(c, recent.get(c.pupil.id), with_school) for c in page],
            "next": _cursor(page[-1], sort) if more else None,
        }
    )


def _rate_order(candidate: _Candidate) -> tuple[Any, ...]:
    """Highest rate first, no rate last, then UPN (the school breaks a dual registration's tie).

    A float of absent/possible orders exactly as the fraction for any count of sessions a period
    holds: two different fractions with denominators under 2^26 never round to one float.
    """
    counts, pupil = candidate.counts, candidate.pupil
    possible = counts.possible_sessions
    rate = counts.absence_sessions / possible if possible else 0.0
    return (possible == 0, -rate, pupil.upn, pupil.school_urn)


def _upn_order(candidate: _Candidate) -> tuple[Any, ...]:
    return (candidate.pupil.upn, candidate.pupil.school_urn)


def _cursor(candidate: _Candidate, sort: str) -> str:
    pupil, counts = candidate.pupil, candidate.counts
    if sort == "upn":
        return encode_cursor(sort, pupil.upn, pupil.school_urn)
    return encode_cursor(sort, counts.absence_sessions, counts.possible_sessions, pupil.upn, pupil.school_urn)


def _position(after: str, sort: str) -> tuple[Any, ...]:
    """The sort key of the row a cursor points after; 400 `bad_cursor` for anything else."""
    values = decode_cursor(after)
    if not values or values[0] != sort or not _well_formed(values):
        raise BadRequest("bad_cursor", "`after` is not a cursor this service gave out for this sort")
    if sort == "upn":
        return tuple(values[1:])
    absent, possible, upn, urn = values[1:]
    return (possible == 0, -(absent / possible) if possible else 0.0, upn, urn)


def _well_formed(values: list[Any]) -> bool:
    sizes = {"upn": 3, "absence_rate": 5}
    if len(values) != sizes.get(values[0], 0):
        return False
    *numbers, upn, urn = values[1:]
    whole = all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers)
    return (
        whole and (not numbers or numbers[0] <= numbers[1]) and isinstance(upn, str) and isinstance(urn, str)
    )


@dataclass(frozen=True)
class _Recent:
    first: dt.date
    last: dt.date
    counts: Counts


async def _recent(session: AsyncSession, page: list[Any], end: dt.date) -> dict[int, _Recent]:
    """pupil id -> the pupil's counts over their school's last 20 school days up to `end`."""
    windows = await school_days.recent_windows(session, [row.school_urn for row in page], end)
    pupils_of: dict[str, list[int]] = {}
    for row in page:
        if row.school_urn in windows:
            pupils_of.setdefault(row.school_urn, []).append(row.id)
    if not pupils_of:
        return {}
    in_window = [
        and_(Mark.pupil_id.in_(ids), Mark.date.between(*windows[urn])) for urn, ids in pupils_of.items()
    ]
    query = select(Mark.pupil_id, *counters.category_sums()).where(or_(*in_window)).group_by(Mark.pupil_id)
    counted = {
        row.pupil_id: Counts(*(int(row[i + 1]) for i in range(4))) for row in await session.execute(query)
    }
    school_of = {row.id: row.school_urn for row in page}
    return {
        pupil_id: _Recent(*windows[school_of[pupil_id]], counted.get(pupil_id, Counts()))
        for ids in pupils_of.values()
        for pupil_id in ids
    }


def _row(candidate: _Candidate, recent: _Recent | None, with_school: bool) -> PupilRow:
    row, period = candidate.pupil, candidate.counts
    recent_counts = recent.counts if recent else Counts()
    return PupilRow.model_validate(
        {
            "upn": row.upn,
            "school_urn": row.school_urn if with_school else None,
            "given_name": row.given_name,
            "family_name": row.family_name,
            "year_group": row.year_group,
            "characteristics": {
                "fsm_eligible": row.fsm_eligible,
                "sen_status": row.sen_status,
                "has_social_worker": row.has_social_worker,
            },
            "possible_sessions": period.possible_sessions,
            "absence_rate": absence_rate(period),
            "authorised_absence": period.authorised_absence,
            "unauthorised_absence": period.unauthorised_absence,
            "band": bands.band(period),
            "recent": RecentAttendance.model_validate(
                {
                    "from": recent.first if recent else None,
                    "to": recent.last if recent else None,
                    "possible_sessions": recent_counts.possible_sessions,
                    "absence_rate": absence_rate(recent_counts),
                }
            ),
            "trend": bands.trend(period, recent_counts),
        }
    )
