"""An attendance-update run: one school's updates for one period, claimed once, written with the
feed messages, the emails to send and their events in the caller's transaction.

The claim (a unique row per school and period) is inserted first: a concurrent request or a second
worker waits on it and then finds it taken, so it sends nothing and answers the first run's counts.
The figures are read from notifications' own marks projection, counted as registers counts them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.bulk import upsert_rows
from attendance_common.codes import Counts, attendance_rate
from notifications.delivery import templates
from notifications.delivery.deliveries import NewDeliveries, write_new
from notifications.delivery.recipients import TriggerRow
from notifications.models import Contact, Mark, Pupil, School
from notifications.updates import rules
from notifications.updates.models import PupilUpdate, UpdateRun


@dataclass(frozen=True)
class Period:
    school_urn: str
    start: dt.date
    end: dt.date


async def send_updates(
    session: AsyncSession, period: Period, *, requested_by: str, now: dt.datetime
) -> tuple[UpdateRun, bool]:
    """Claim the school's run for the period and write each pupil's update to their parents; a
    period already claimed sends nothing. Answers the run, and whether this call made it."""
    run_id = str(uuid.uuid4())
    claim = {
        "id": run_id,
        "school_urn": period.school_urn,
        "period_from": period.start,
        "period_to": period.end,
        "requested_by": requested_by[:200],
        "pupils": 0,
        "messages": 0,
        "created_at": now,
    }
    key = ("school_urn", "period_from", "period_to")
    if not await upsert_rows(session, UpdateRun, [claim], key=key, returning="id"):
        return await _run_of(session, period), False
    pupils, messages = await _write_updates(session, period, run_id, now)
    await session.execute(
        update(UpdateRun)
        .where(UpdateRun.id == run_id)
        .values(pupils=pupils, messages=messages)
        .execution_options(synchronize_session=False)
    )
    return await _run_of(session, period), True


async def has_school_days(session: AsyncSession, period: Period) -> bool:
    """Whether the school held sessions in the period (any mark but `#`, domain.md 4): a weekly
    update is for a school week, not a holiday."""
    found = await session.scalar(
        select(Mark.pupil_id)
        .join(Pupil, Pupil.id == Mark.pupil_id)
        .where(
            Pupil.school_urn == period.school_urn,
            Mark.date >= period.start,
            Mark.date <= period.end,
            Mark.code != "#",
        )
        .limit(1)
    )
    return found is not None


async def _run_of(session: AsyncSession, period: Period) -> UpdateRun:
    run = await session.scalar(
        select(UpdateRun)
        .where(
            UpdateRun.school_urn == period.school_urn,
            UpdateRun.period_from == period.start,
            UpdateRun.period_to == period.end,
        )
        .execution_options(populate_existing=True)
    )
    assert run is not None
    return run


async def _write_updates(
    session: AsyncSession, period: Period, run_id: str, now: dt.datetime
) -> tuple[int, int]:
    """Each pupil on roll in the period: figures, improvement, one message per parent (feed and
    email). Answers (pupils, messages put in feeds)."""
    pupils = list(await session.execute(_on_roll(period)))
    if not pupils:
        return 0, 0
    school = await session.scalar(select(School.name).where(School.urn == period.school_urn))
    counts = await _counts(session, period)
    parents = await _parents(session, period.school_urn)
    previous = await _previous(session, period.school_urn)
    staged: list[NewDeliveries] = []
    latest: list[dict[str, Any]] = []
    common = {
        "school": school or f"School {period.school_urn}",
        "period_words": _period_words(period.start, period.end),
        "period_short": _period_short(period.start, period.end),
        "parent_name": _PARENT,
    }
    for pupil in pupils:
        in_period, in_year = counts.get(pupil.id, (Counts(), Counts()))
        better = rules.improved(previous.get(pupil.upn), in_year, period.end)
        figures = rules.data(period.start, period.end, in_period, in_year, better)
        new = NewDeliveries(_trigger(run_id, period, pupil), now)
        # Rendered once per pupil, then each parent's name put in (thousands of pupils a run).
        text = templates.render(
            "parents", rules.KIND, {**common, **_words(pupil, in_period, in_year, better)}
        )
        for name, email in parents.get(pupil.id, ()):
            new.add_to_feed(email=email, name=name, title=text.title, body=text.body.replace(_PARENT, name))
            new.messages[("app", "parent", email)]["data"] = figures
            new.add(
                recipient_kind="parent",
                recipient_name=name,
                address=email,
                channel="email",
                subject=text.title,
                body=text.body.replace(_PARENT, name),
            )
        staged.append(new)
        latest.append(
            {
                "school_urn": period.school_urn,
                "upn": pupil.upn,
                "run_id": run_id,
                "period_to": period.end,
                "year_attended": rules.attended(in_year),
                "year_possible": in_year.possible_sessions,
                "sent_at": now,
            }
        )
    await write_new(session, staged)
    await upsert_rows(session, PupilUpdate, latest, key=("school_urn", "upn"), replace=tuple(latest[0])[2:])
    return len(pupils), sum(len(new.messages) for new in staged)


def _on_roll(period: Period) -> Any:
    """Pupils on roll at any time in the period, as registers counts a school's pupils (whose
    pupil event has arrived: a bare row made by a mark has no names and no parents yet)."""
    return (
        select(Pupil.id, Pupil.upn, Pupil.given_name, Pupil.family_name, Pupil.la_code)
        .where(
            Pupil.school_urn == period.school_urn,
            Pupil.given_name.is_not(None),
            or_(Pupil.start_date.is_(None), Pupil.start_date <= period.end),
            or_(Pupil.deleted_on.is_(None), Pupil.deleted_on >= period.start),
        )
        .order_by(Pupil.upn)
    )


async def _counts(session: AsyncSession, period: Period) -> dict[int, tuple[Counts, Counts]]:
    """pupil id -> (the period's counts, the year to date's), from sessions per code in one query."""
    year_start = rules.year_start(period.end)
    in_period = func.sum(case((Mark.date >= period.start, 1), else_=0))
    in_year = func.sum(case((Mark.date >= year_start, 1), else_=0))
    rows = await session.execute(
        select(Mark.pupil_id, Mark.code, in_period, in_year)
        .join(Pupil, Pupil.id == Mark.pupil_id)
        .where(
            Pupil.school_urn == period.school_urn,
            Mark.date >= min(period.start, year_start),
            Mark.date <= period.end,
        )
        .group_by(Mark.pupil_id, Mark.code)
    )
    by_pupil: dict[int, tuple[dict[str, int], dict[str, int]]] = defaultdict(lambda: ({}, {}))
    for pupil_id, code, sessions, year_sessions in rows:
        codes = by_pupil[pupil_id]
        codes[0][code], codes[1][code] = int(sessions or 0), int(year_sessions or 0)
    return {p: (rules.tally(period_codes), rules.tally(year)) for p, (period_codes, year) in by_pupil.items()}


async def _parents(session: AsyncSession, school_urn: str) -> dict[int, list[tuple[str, str]]]:
    """pupil id -> (name, email) of each contact with parental responsibility and an email, in
    priority order: the feed is per parent email, and SMS is never used for updates."""
    rows = await session.execute(
        select(Contact.pupil_id, Contact.name, Contact.email)
        .join(Pupil, Pupil.id == Contact.pupil_id)
        .where(
            Pupil.school_urn == school_urn,
            Contact.parental_responsibility.is_(True),
            Contact.email.is_not(None),
        )
        .order_by(Contact.pupil_id, Contact.priority, Contact.contact_id)
    )
    parents: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for pupil_id, name, email in rows:
        if email and all(email != known for _, known in parents[pupil_id]):
            parents[pupil_id].append((name, email))
    return parents


async def _previous(session: AsyncSession, school_urn: str) -> dict[str, rules.Previous]:
    rows = await session.execute(
        select(
            PupilUpdate.upn, PupilUpdate.period_to, PupilUpdate.year_attended, PupilUpdate.year_possible
        ).where(PupilUpdate.school_urn == school_urn)
    )
    return {upn: rules.Previous(period_to, attended, possible) for upn, period_to, attended, possible in rows}


def _trigger(run_id: str, period: Period, pupil: Row[Any]) -> TriggerRow:
    """The pupil's update as a trigger of its deliveries: `update:<run>:<upn>`, one per run."""
    return TriggerRow(
        key=f"update:{run_id}:{pupil.upn}",
        kind=rules.KIND,
        event_type="attendance.update",
        school_urn=period.school_urn,
        la_code=pupil.la_code,
        upn=pupil.upn,
        event={},
    )


def _words(pupil: Row[Any], in_period: Counts, in_year: Counts, better: bool) -> dict[str, Any]:
    """What the update template is told about the pupil."""
    return {
        "child": pupil.given_name,
        "present": rules.attended(in_period),
        "possible": in_period.possible_sessions,
        "percent": templates.percent(attendance_rate(in_period)),
        "year_possible": in_year.possible_sessions,
        "year_percent": templates.percent(attendance_rate(in_year)),
        "improved": better,
        "band": rules.band(in_year),
    }


_PARENT = "\x00parent\x00"  # stands for the parent's name until each parent's copy is made


def _period_words(start: dt.date, end: dt.date) -> str:
    """`on Monday 16 November` or `from Monday 16 November to Friday 20 November`."""
    if start == end:
        return f"on {start:%A} {start.day} {start:%B}"
    return f"from {start:%A} {start.day} {start:%B} to {end:%A} {end.day} {end:%B}"


def _period_short(start: dt.date, end: dt.date) -> str:
    """`16 November 2026` or `16 to 20 November 2026`, `30 November to 4 December 2026`."""
    if start == end:
        return f"{end.day} {end:%B %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day} to {end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} to {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} to {end.day} {end:%B %Y}"
