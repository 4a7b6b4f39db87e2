"""Applying marks to each pupil's state: marks, year and week counts, school days, in bulk.

The work per mark is bounded: both sessions of the mark's day are read once for the batch, and
the counters change by deltas, never by recounting the year.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerts.evaluation import recent, upserts
from alerts.evaluation.recent import RecentChanges
from alerts.evaluation.upserts import YEAR_COLUMNS, YearCounts
from alerts.models import Mark, Pupil
from alerts.rules import week_of
from attendance_common.bulk import any_of, driver_connection
from attendance_common.codes import CODES, UNAUTHORISED_FOR_PENALTY, academic_year_start
from attendance_common.events.registers import MarkFact, PupilDeleted, PupilUpserted

Day = tuple[str | None, str | None]  # (AM, PM) codes
_COUNTED = YEAR_COLUMNS[:4]  # the category columns, in the order of a YearCounts row
_COLUMN = {
    code: _COUNTED.index(c.category.value) for code, c in CODES.items() if c.category.value in _COUNTED
}


@dataclass
class PupilChanges:
    """What a batch changed for one pupil: the days touched and what they looked like before/after.

    `amended`: some session already had a different code (an amendment): the pupil is recomputed.
    """

    pupil_id: int
    upn: str
    days: dict[dt.date, tuple[Day, Day]] = field(default_factory=dict)  # date -> (before, after)
    amended: bool = False


@dataclass
class BatchChanges:
    school_urn: str
    la_code: str | None
    pupils: dict[int, PupilChanges]
    new_school_days: list[dt.date]
    social_workers: frozenset[int] = frozenset()  # the batch's pupils who have a social worker
    # The year counts the batch changed, as they now stand: pupil -> year -> counts.
    years: dict[int, dict[dt.date, YearCounts]] = field(default_factory=dict)
    # The academic year of the school's latest school day: no pupil there has counts of a later one.
    latest_year: dt.date | None = None
    # Emerging absence's window after the batch and the pupils' counts over it that changed.
    recent: RecentChanges = field(default_factory=RecentChanges)


async def ensure_pupils(
    session: AsyncSession, school_urn: str, la_code: str | None, upns: Iterable[str]
) -> tuple[dict[str, int], frozenset[int]]:
    """upn -> pupil id at this school, creating stubs for pupils not yet seen on the pupils topic;
    and the ids of those with a social worker."""
    wanted = sorted(set(upns))
    found = await upserts.pupil_ids(session, school_urn, wanted)
    missing = [upn for upn in wanted if upn not in found]
    if missing:
        await upserts.insert_pupils(session, school_urn, la_code, missing)
        found.update(await upserts.pupil_ids(session, school_urn, missing))
    ids = {upn: pupil_id for upn, (pupil_id, _) in found.items()}
    return ids, frozenset(pupil_id for pupil_id, flag in found.values() if flag)


async def put_pupil(session: AsyncSession, data: PupilUpserted) -> tuple[Pupil, bool]:
    """Keep the pupil's LA and social worker; True when the social-worker flag changed."""
    await upserts.ensure_school(session, data.school_urn, data.la_code)
    ids, _ = await ensure_pupils(session, data.school_urn, data.la_code, [data.upn])
    pupil_id = ids[data.upn]
    pupil = await session.get(Pupil, pupil_id)
    assert pupil is not None
    changed = pupil.has_social_worker != data.characteristics.has_social_worker
    pupil.has_social_worker = data.characteristics.has_social_worker
    pupil.la_code, pupil.deleted_on = data.la_code, None
    email = data.social_worker.email if data.social_worker else None
    pupil.social_worker_email = email.lower() if email else None
    await session.flush()  # later events of the batch read the flag with plain queries
    return pupil, changed


async def delete_pupil(session: AsyncSession, data: PupilDeleted) -> None:
    ids, _ = await ensure_pupils(session, data.school_urn, data.la_code, [data.upn])
    pupil_id = ids[data.upn]
    pupil = await session.get(Pupil, pupil_id)
    assert pupil is not None
    pupil.deleted_on = data.date
    await session.flush()


async def apply_marks(
    session: AsyncSession, *, school_urn: str, la_code: str | None, marks: Sequence[MarkFact]
) -> BatchChanges:
    """Apply marks in order; return what changed, for the rules to look at."""
    await upserts.ensure_school(session, school_urn, la_code)
    ids, social_workers = await ensure_pupils(session, school_urn, la_code, (m["upn"] for m in marks))
    keys = {(ids[m["upn"]], m["date"]) for m in marks}
    before = await _days(session, keys)
    after = {key: list(day) for key, day in before.items()}
    for m in marks:
        day = after.setdefault((ids[m["upn"]], m["date"]), [None, None])
        day[0 if m["session"] == "AM" else 1] = m["code"]

    # The school days first: new ones move emerging absence's window, which takes the marks of the
    # days leaving it off the counts before this batch writes any.
    school_days = {m["date"] for m in marks if m["code"] != "#"}
    new_days = await upserts.add_school_days(session, school_urn, school_days)
    window, recent_deltas, moved = await recent.advance(session, school_urn, new_days)

    changes: dict[int, PupilChanges] = {}
    upn_of = {pid: upn for upn, pid in ids.items()}
    new_rows: list[tuple[int, dt.date, str, str]] = []  # sessions with no code yet: plain inserts
    changed_rows: list[tuple[int, dt.date, str, str]] = []  # sessions that had another code
    year_deltas: defaultdict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0] * 5)
    week_deltas: defaultdict[tuple[int, dt.date], int] = defaultdict(int)
    # A batch is one register: a date or two, so each date's year and week are worked out once.
    dates = {date for _, date in after}
    years = {date: academic_year_start(date) for date in dates}
    weeks = {date: week_of(date) for date in dates}
    for (pupil_id, date), new in after.items():
        old = before.get((pupil_id, date), (None, None))
        new_day = (new[0], new[1])
        if new_day == old:
            continue
        changes.setdefault(pupil_id, PupilChanges(pupil_id, upn_of[pupil_id])).days[date] = (old, new_day)
        year = year_deltas[(pupil_id, years[date])]
        for session_name, was, now in (("AM", old[0], new_day[0]), ("PM", old[1], new_day[1])):
            if was == now or now is None:
                continue
            if was:
                changed_rows.append((pupil_id, date, session_name, now))
                changes[pupil_id].amended = True
            else:
                new_rows.append((pupil_id, date, session_name, now))
            if was and (column := _COLUMN.get(was)) is not None:
                year[column] -= 1
            if (column := _COLUMN.get(now)) is not None:
                year[column] += 1
            if window.covers(date):
                in_window = recent_deltas.setdefault(pupil_id, [0] * 4)
                if was and (column := _COLUMN.get(was)) is not None:
                    in_window[column] -= 1
                if (column := _COLUMN.get(now)) is not None:
                    in_window[column] += 1
            unauthorised = (now in UNAUTHORISED_FOR_PENALTY) - (was in UNAUTHORISED_FOR_PENALTY)
            if unauthorised:
                week_deltas[(pupil_id, weeks[date])] += unauthorised
        year[4] += ("I" in new_day) - ("I" in old)

    await upserts.insert_marks(session, school_urn, new_rows)
    await upserts.upsert_marks(session, school_urn, changed_rows)
    counts = await upserts.add_year_counts(session, {k: v for k, v in year_deltas.items() if any(v)})
    await upserts.add_week_counts(session, {k: v for k, v in week_deltas.items() if v})
    recent_counts = await recent.add_counts(session, recent_deltas)
    latest = await upserts.latest_school_day(session, school_urn)
    changed_years: dict[int, dict[dt.date, YearCounts]] = {}
    for (pupil_id, year_start), row in counts.items():
        changed_years.setdefault(pupil_id, {})[year_start] = row
    return BatchChanges(
        school_urn,
        la_code,
        changes,
        sorted(new_days),
        social_workers,
        changed_years,
        academic_year_start(latest) if latest else None,
        RecentChanges(window, recent_counts, {p: upn for p, upn in moved.items() if p not in changes}),
    )


async def _days(session: AsyncSession, keys: set[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], Day]:
    """Both sessions of each (pupil, date) as stored before the batch."""
    found: dict[tuple[int, dt.date], list[str | None]] = {}
    pupils, dates = sorted({p for p, _ in keys}), sorted({d for _, d in keys})
    pg = await driver_connection(session)
    if pg is not None:  # plain rows: a morning's register asks for a thousand pupils
        rows = await pg.fetch(
            "SELECT pupil_id, date, session, code FROM marks "
            "WHERE pupil_id = ANY($1::bigint[]) AND date = ANY($2::date[])",
            pupils,
            dates,
        )
    else:
        dialect = (await session.connection()).dialect.name
        rows = [
            row
            for start in range(0, len(pupils), 5_000)
            for row in await session.execute(
                select(Mark.pupil_id, Mark.date, Mark.session, Mark.code).where(
                    any_of(Mark.pupil_id, pupils[start : start + 5_000], dialect),
                    any_of(Mark.date, dates, dialect),
                )
            )
        ]
    for pupil_id, date, sess, code in rows:
        if (pupil_id, date) in keys:
            found.setdefault((pupil_id, date), [None, None])[0 if sess == "AM" else 1] = code
    return {key: (day[0], day[1]) for key, day in found.items()}


async def pupil_days(
    session: AsyncSession, pupil_id: int, start: dt.date, end: dt.date
) -> dict[dt.date, Day]:
    """The pupil's (AM, PM) codes per date in [start, end]."""
    rows = await session.execute(
        select(Mark.date, Mark.session, Mark.code).where(
            Mark.pupil_id == pupil_id, Mark.date.between(start, end)
        )
    )
    days: dict[dt.date, list[str | None]] = {}
    for date, sess, code in rows:
        days.setdefault(date, [None, None])[0 if sess == "AM" else 1] = code
    return {date: (day[0], day[1]) for date, day in days.items()}
