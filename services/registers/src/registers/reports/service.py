"""The attendance report of a school, a trust or an LA (api.md "Reports for leaders, governors,
trusts and LAs"): read the scope's whole numbers (queries.py), then add them up per group, per
school, per week or month and per code."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal, Role
from attendance_common.clock import today_in_london
from attendance_common.codes import CODES, Category
from registers.models import School
from registers.reports import national, periods, queries
from registers.reports.access import Scope, schools_in_reach
from registers.reports.figures import (
    ABSENCE_CODES,
    SERIES_FIGURES,
    SUPPRESS_UNDER,
    Tally,
    group_figures,
    group_order,
    key_of,
    session_figures,
    total,
)
from registers.reports.queries import Cell
from registers.reports.schemas import AttendanceReport

GROUPINGS: dict[str, Callable[[Cell], object]] = {
    "year_group": lambda cell: cell.year_group,
    "fsm_eligible": lambda cell: cell.fsm_eligible,
    "sen_status": lambda cell: cell.sen_status,
    "has_social_worker": lambda cell: cell.has_social_worker,
}


async def attendance_report(
    session: AsyncSession,
    *,
    principal: Principal,
    scope: Scope,
    start: dt.date,
    end: dt.date,
    interval: periods.Interval,
) -> AttendanceReport:
    """The report the caller may read; for a governor, anything of fewer than 5 pupils suppressed."""
    schools = await schools_in_reach(session, principal, scope)
    urns = [school.urn for school in schools]
    tallies = await queries.cells(session, urns, start, end, today_in_london())
    day_codes = await queries.day_codes(session, urns, start, end)
    suppress = principal.role is Role.GOVERNOR
    overall = total(tallies.values())
    # The series and reasons are the whole scope's: a governor sees them only where it has 5 pupils.
    hidden = suppress and overall.pupils < SUPPRESS_UNDER
    return AttendanceReport.model_validate(
        {
            "scope": str(scope),
            "name": _name(scope, schools),
            "from": start,
            "to": end,
            "interval": interval,
            "overall": group_figures(overall, suppress=suppress),
            "series": _series(day_codes, start, end, interval, hidden),
            "groups": {name: _groups(tallies, grouping, suppress) for name, grouping in GROUPINGS.items()},
            "reasons": _reasons(day_codes, hidden),
            "schools": _schools(schools, tallies, suppress) if scope.kind != "school" else None,
            "national": _national(schools),
        }
    )


def _name(scope: Scope, schools: list[School]) -> str:
    if scope.kind == "la":
        return f"Local authority {scope.value}"
    first = schools[0]  # a school, or a trust with at least one school (access.schools_in_reach)
    return first.name if scope.kind == "school" else (first.trust_name or scope.value)


def _groups(tallies: dict[Cell, Tally], grouping: Callable[[Cell], object], suppress: bool) -> list[dict]:
    """One row per key with pupils, in school order (empty groups are left out, as in the summary)."""
    grouped: dict[str, list[Tally]] = defaultdict(list)
    for cell, tally in tallies.items():
        grouped[key_of(grouping(cell))].append(tally)
    return [
        {"key": key, **group_figures(total(members), suppress=suppress)}
        for key, members in sorted(grouped.items(), key=lambda item: group_order(item[0]))
    ]


def _schools(schools: list[School], tallies: dict[Cell, Tally], suppress: bool) -> list[dict]:
    """Every school of the scope, in name order, with its figures (none on roll: 0 pupils)."""
    of_school: dict[str, list[Tally]] = defaultdict(list)
    for cell, tally in tallies.items():
        of_school[cell.school_urn].append(tally)
    return [
        {
            "urn": school.urn,
            "name": school.name,
            **group_figures(total(of_school[school.urn]), suppress=suppress),
        }
        for school in schools
    ]


_CATEGORY = {code: entry.category for code, entry in CODES.items()}


def _series(
    day_codes: Iterable[tuple[dt.date, str, int]],
    start: dt.date,
    end: dt.date,
    interval: periods.Interval,
    hidden: bool,
) -> list[dict]:
    """Every week or month of the period, holidays included (no possible sessions: rates null)."""
    spans = periods.buckets(start, end, interval)
    if hidden:
        return [{"start": a, "end": b, **dict.fromkeys(SERIES_FIGURES), "suppressed": True} for a, b in spans]
    sums: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])  # possible, authorised, unauthorised
    for day, code, sessions in day_codes:
        category = _CATEGORY.get(code)
        if category is None or category in (Category.not_counted, Category.administrative):
            continue
        sums_of = sums[max(periods.bucket_start(day, interval), start)]
        sums_of[0] += sessions
        if category is Category.authorised_absence:
            sums_of[1] += sessions
        elif category is Category.unauthorised_absence:
            sums_of[2] += sessions
    return [{"start": a, "end": b, **session_figures(*sums[a])} for a, b in spans]


def _reasons(day_codes: Iterable[tuple[dt.date, str, int]], hidden: bool) -> list[dict]:
    """Every absence code in the code table's order, with its sessions in the period (0 for none)."""
    sessions: dict[str, int] = defaultdict(int)
    for _, code, count in day_codes:
        sessions[code] += count
    return [
        {
            "code": code,
            "category": _CATEGORY[code].value,
            **({"sessions": None, "suppressed": True} if hidden else {"sessions": sessions[code]}),
        }
        for code in ABSENCE_CODES
    ]


def _national(schools: list[School]) -> dict | None:
    figures = national.for_schools(school.phase for school in schools)
    if figures is None:
        return None
    return {
        "period": national.PERIOD,
        "phase": figures.phase,
        "absence_rate": figures.absence_rate,
        "persistent_absence_rate": figures.persistent_absence_rate,
        "source": national.SOURCE,
    }
