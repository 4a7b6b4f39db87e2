"""Parents are not flooded by a catch-up (api.md Part 2 "Parents are not flooded").

A first-day contact is about today's absence. When a batch holds an `N` dated before the school's
previous school day (an MIS catching up, or a first load), the pupil's messages of that trigger in
the batch fold into one that lists the dates: the first trigger (the lead) carries the message and
its deliveries, one row per recipient and channel as always; the others add no message to people
(an LA's webhook subscriptions still get each alert event). The social worker's unexplained-absence
email folds the same way. A batch is one marks batch: the alerts one evaluation raised share their
`raised_at` (alerts evaluates each marks event alone, and registers keeps each pupil's marks of a
request in one event), found together in one consumed fetch (or among one pupil's waiting triggers).

The school's previous school day is the last date before today with any mark other than `#` in this
service's marks projection (api.md: a school day is a date with such a mark); with none known yet,
the previous weekday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.events.alerts import AlertRaised
from notifications.delivery import templates
from notifications.delivery.recipients import TriggerRow
from notifications.models import Mark, Pupil, Trigger

# The per-date triggers whose messages to people fold (one alert per pupil per date).
FOLDED_KINDS = ("first_day_absence", "social_worker_unexplained_absence")
VARIANT = "dates"  # the templates that list the dates: `<trigger>.dates.txt`


@dataclass
class Folding:
    """Which triggers of a batch fold: lead key -> every trigger it speaks for (lead first, then by
    date), and the keys of the others (their people get nothing of their own)."""

    groups: dict[str, list[TriggerRow]] = field(default_factory=dict)
    followers: set[str] = field(default_factory=set)

    def dates_of(self, key: str) -> list[str]:
        """The dates the lead's message lists (empty when it speaks for itself alone)."""
        members = self.groups.get(key, [])
        return [date_text(t) for t in sorted(members, key=_date)] if len(members) > 1 else []


def trigger_date(trigger: TriggerRow) -> dt.date | None:
    """The session date of a raised per-date alert, else None (it never folds)."""
    if trigger.event_type != AlertRaised.event_type or trigger.kind not in FOLDED_KINDS:
        return None
    day = trigger.event.get("data", {}).get("date")
    return dt.date.fromisoformat(day) if day else None


async def folding(
    session: AsyncSession, triggers: Sequence[TriggerRow], today: dt.date, *, unfolded: Iterable[str] = ()
) -> Folding:
    """How this batch's triggers fold; those in `unfolded` (e.g. already told by their parents)
    are left to speak for themselves."""
    left_out = set(unfolded)
    dated = [(t, d) for t in triggers if t.key not in left_out and (d := trigger_date(t)) is not None]
    # A date on or after yesterday is never before the previous school day: no lookup at all for
    # the morning's own registers.
    maybe_old = {t.school_urn for t, day in dated if day < today - dt.timedelta(days=1)}
    if not maybe_old:
        return Folding()
    previous = await previous_school_days(session, maybe_old, today)
    batches: dict[tuple[str, str, str, str], list[tuple[TriggerRow, dt.date]]] = {}
    for trigger, day in dated:
        raised_at = str(trigger.event.get("data", {}).get("raised_at"))
        batch = (trigger.kind, trigger.school_urn, trigger.upn, raised_at)
        batches.setdefault(batch, []).append((trigger, day))
    found = Folding()
    for members in batches.values():
        school_day = previous.get(members[0][0].school_urn)
        if len(members) < 2 or school_day is None or not any(day < school_day for _, day in members):
            continue
        lead = members[0][0]
        found.groups[lead.key] = [t for t, _ in members]
        found.followers.update(t.key for t, _ in members[1:])
    return found


async def previous_school_days(
    session: AsyncSession, urns: Iterable[str], today: dt.date
) -> dict[str, dt.date]:
    """Each school's last school day before today that the marks projection knows, else the
    previous weekday."""
    urns = sorted(set(urns))
    rows = await session.execute(
        select(Pupil.school_urn, func.max(Mark.date))
        .join(Mark, Mark.pupil_id == Pupil.id)
        .where(Pupil.school_urn.in_(urns), Mark.date < today, Mark.code != "#")
        .group_by(Pupil.school_urn)
    )
    known = {urn: day for urn, day in rows if day is not None}
    return {urn: known.get(urn) or previous_weekday(today) for urn in urns}


def previous_weekday(today: dt.date) -> dt.date:
    day = today - dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def date_text(trigger: TriggerRow) -> str:
    """`Monday 2 November 2026 (morning)`: the date and the sessions its evidence names."""
    day = _date(trigger)
    data = trigger.event.get("data", {})
    marks = (data.get("evidence") or {}).get("marks", [])
    sessions = [m["session"] for m in marks if m.get("date") == day.isoformat()]
    return f"{templates.long_date(day)} ({templates.sessions_text(sessions)})"


def _date(trigger: TriggerRow) -> dt.date:
    day = trigger_date(trigger)
    assert day is not None
    return day


async def remember(session: AsyncSession, folded: Folding, keys: Iterable[str] = ()) -> None:
    """Write which lead each follower folded into (`Trigger.folded_into`), so clearing can tell a
    folded message from one that speaks for its own alert alone; `keys` are set unfolded first
    (triggers routed again: their earlier folding no longer holds)."""
    if keys:
        await session.execute(
            update(Trigger)
            .where(Trigger.key.in_(sorted(set(keys))), Trigger.folded_into.is_not(None))
            .values(folded_into=None)
            .execution_options(synchronize_session=False)
        )
    for lead, members in folded.groups.items():
        await session.execute(
            update(Trigger)
            .where(Trigger.key.in_([t.key for t in members if t.key != lead]))
            .values(folded_into=lead)
            .execution_options(synchronize_session=False)
        )


async def clearing(session: AsyncSession, cleared: Iterable[str]) -> tuple[set[str], dict[str, str]]:
    """What the alerts just cleared (these trigger keys, already marked cleared) mean for folded
    messages: the leads among them whose message still speaks for an open alert of its batch (keep
    it: not skipped, not resolved); and the leads, by the cleared key that let them go, whose batch
    has no open alert left now (skip and resolve as if the lead had cleared just now)."""
    cleared = set(cleared)
    leads = dict(
        (row.key, row.folded_into)
        for row in await session.execute(
            select(Trigger.key, Trigger.folded_into).where(
                Trigger.key.in_(sorted(cleared)), Trigger.folded_into.is_not(None)
            )
        )
    )
    candidates = (cleared | set(leads.values())) - set(leads)
    if not candidates:
        return set(), {}
    followers: dict[str, list[Any]] = {}
    for row in await session.execute(
        select(Trigger.key, Trigger.folded_into, Trigger.cleared_at).where(
            Trigger.folded_into.in_(sorted(candidates))
        )
    ):
        followers.setdefault(row.folded_into, []).append(row)
    if not followers:
        return set(), {}
    lead_cleared = dict(
        (row.key, row.cleared_at is not None)
        for row in await session.execute(
            select(Trigger.key, Trigger.cleared_at).where(Trigger.key.in_(sorted(followers)))
        )
    )
    held: set[str] = set()
    let_go: dict[str, str] = {}
    for lead, rows in followers.items():
        still_open = any(row.cleared_at is None for row in rows)
        if lead in cleared and still_open:
            held.add(lead)
        elif lead not in cleared and lead_cleared.get(lead) and not still_open:
            by = [row.key for row in rows if row.key in cleared]
            if by:
                let_go[lead] = by[0]
    return held, let_go
