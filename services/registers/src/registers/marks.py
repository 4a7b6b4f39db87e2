"""Recording marks: per-item validation, new/amended/unchanged classification, history and events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal
from attendance_common.clock import now_utc
from attendance_common.codes import CodeError, lookup
from attendance_common.events.registers import AmendedMark, MarksAmended, MarksRecorded, RecordedMark
from attendance_common.messaging import add_event
from registers.models import Mark, MarkChange, Pupil, School
from registers.schemas import MarkIn, MarksResult, RejectedMark

SOURCE = "registers"
SESSIONS = ("AM", "PM")
_IN_CHUNK = 5_000  # keeps every IN (...) list under SQLite's and asyncpg's bind-parameter limits

Key = tuple[int, dt.date, str]  # (pupil id, date, session)


@dataclass
class _Valid:
    index: int
    upn: str
    date: dt.date
    session: str
    code: str
    minutes_late: int | None
    reason: str | None


@dataclass
class _Outcome:
    accepted: int = 0
    amended: int = 0
    unchanged: int = 0
    rejected: list[RejectedMark] = field(default_factory=list)

    def reject(self, index: int, item: MarkIn, error_code: str, error: str) -> None:
        self.rejected.append(
            RejectedMark(index=index, upn=item.upn, code=item.code, error_code=error_code, error=error)
        )


def check_item(index: int, item: MarkIn, today: dt.date, outcome: _Outcome) -> _Valid | None:
    """The checks that need no database: session, code, date. Rejects into `outcome`."""
    if item.session not in SESSIONS:
        outcome.reject(index, item, "bad_session", f"session must be AM or PM, not {item.session!r}")
        return None
    try:
        code = lookup(item.code).code
    except CodeError as error:
        outcome.reject(index, item, error.error_code, str(error))
        return None
    try:
        date = dt.date.fromisoformat(item.date)
    except ValueError:
        outcome.reject(index, item, "bad_date", f"date must be YYYY-MM-DD, not {item.date!r}")
        return None
    if date > today:
        outcome.reject(index, item, "future_date", f"{date} is in the future (today is {today})")
        return None
    upn = item.upn.strip().upper()
    return _Valid(index, upn, date, item.session, code, item.minutes_late, item.reason)


async def record_marks(
    session: AsyncSession,
    *,
    school: School,
    items: Sequence[MarkIn],
    principal: Principal,
    today: dt.date,
    marks_per_event: int = 1_000,
) -> MarksResult:
    """Store a batch of marks in order: new ones, amendments (with history) and repeats."""
    outcome = _Outcome()
    valid = [v for i, item in enumerate(items) if (v := check_item(i, item, today, outcome))]
    pupils = await _pupils_by_upn(session, school.urn, {v.upn for v in valid})
    on_roll: list[tuple[_Valid, int]] = []
    for v in valid:
        pupil = pupils.get(v.upn)
        item = items[v.index]
        if pupil is None:
            outcome.reject(v.index, item, "unknown_pupil", f"no pupil {v.upn} at school {school.urn}")
        elif v.date < pupil.start_date:
            outcome.reject(v.index, item, "before_start_date", f"{v.date} is before {pupil.start_date}")
        elif pupil.deleted_on is not None and v.date > pupil.deleted_on:
            outcome.reject(v.index, item, "not_on_roll", f"deleted from roll on {pupil.deleted_on}")
        else:
            on_roll.append((v, pupil.id))
    outcome.rejected.sort(key=lambda rejected: rejected.index)

    existing = await _existing_marks(session, {pid for _, pid in on_roll}, {v.date for v, _ in on_roll})
    now = now_utc()
    current: dict[Key, str] = {key: code for key, (_, code) in existing.items()}
    new: dict[Key, dict[str, Any]] = {}
    changes: list[tuple[Key, _Valid, str]] = []
    for v, pupil_id in on_roll:
        key = (pupil_id, v.date, v.session)
        previous = current.get(key)
        if previous is None:
            new[key] = _mark_row(pupil_id, v, now, principal)
            outcome.accepted += 1
        elif previous == v.code:
            outcome.unchanged += 1
            continue
        else:
            changes.append((key, v, previous))
            outcome.amended += 1
        current[key] = v.code

    ids = {key: mark_id for key, (mark_id, _) in existing.items()}
    ids.update(await _insert_marks(session, list(new.items())))
    if changes:
        await _amend(session, changes, ids, current, now, principal)
    _stage_events(school, new, changes, pupils, now, principal, marks_per_event, session)
    return MarksResult(
        accepted=outcome.accepted,
        amended=outcome.amended,
        unchanged=outcome.unchanged,
        rejected=outcome.rejected,
    )


def _mark_row(pupil_id: int, v: _Valid, now: dt.datetime, principal: Principal) -> dict[str, Any]:
    return {
        "pupil_id": pupil_id,
        "date": v.date,
        "session": v.session,
        "code": v.code,
        "minutes_late": v.minutes_late,
        "recorded_at": now,
        "recorded_by_sub": principal.sub,
        "recorded_by_role": str(principal.role),
        "recorded_by_name": principal.name,
    }


async def _pupils_by_upn(session: AsyncSession, urn: str, upns: set[str]) -> dict[str, Pupil]:
    found: dict[str, Pupil] = {}
    for chunk in _chunks(sorted(upns)):
        rows = await session.execute(
            select(Pupil.id, Pupil.upn, Pupil.start_date, Pupil.deleted_on).where(
                Pupil.school_urn == urn, Pupil.upn.in_(chunk)
            )
        )
        for row in rows:
            found[row.upn] = row  # type: ignore[assignment]
    return found


async def _existing_marks(
    session: AsyncSession, pupil_ids: set[int], dates: set[dt.date]
) -> dict[Key, tuple[int, str]]:
    existing: dict[Key, tuple[int, str]] = {}
    if not pupil_ids:
        return existing
    for chunk in _chunks(sorted(pupil_ids)):
        rows = await session.execute(
            select(Mark.id, Mark.pupil_id, Mark.date, Mark.session, Mark.code).where(
                Mark.pupil_id.in_(chunk), Mark.date.in_(sorted(dates))
            )
        )
        for mark_id, pupil_id, date, sess, code in rows:
            existing[(pupil_id, date, sess)] = (mark_id, code)
    return existing


async def _insert_marks(session: AsyncSession, rows: list[tuple[Key, dict[str, Any]]]) -> dict[Key, int]:
    """Insert new marks, returning their ids (amendments later in the same batch need them)."""
    ids: dict[Key, int] = {}
    for start in range(0, len(rows), _IN_CHUNK):
        chunk = rows[start : start + _IN_CHUNK]
        result = await session.execute(
            insert(Mark).returning(Mark.id, sort_by_parameter_order=True), [row for _, row in chunk]
        )
        for (key, _), mark_id in zip(chunk, result.scalars(), strict=True):
            ids[key] = mark_id
    return ids


async def _amend(
    session: AsyncSession,
    changes: list[tuple[Key, _Valid, str]],
    ids: dict[Key, int],
    final: dict[Key, str],
    now: dt.datetime,
    principal: Principal,
) -> None:
    """Set each changed mark to its final code and append one history row per change."""
    latest = {key: v for key, v, _ in changes}
    await session.execute(
        update(Mark),
        [{"id": ids[key], "code": final[key], "minutes_late": v.minutes_late} for key, v in latest.items()],
    )
    await session.execute(
        insert(MarkChange),
        [
            {
                "mark_id": ids[key],
                "code": v.code,
                "previous_code": previous,
                "reason": v.reason,
                "changed_at": now,
                "changed_by_sub": principal.sub,
                "changed_by_role": str(principal.role),
                "changed_by_name": principal.name,
            }
            for key, v, previous in changes
        ],
    )


def _stage_events(
    school: School,
    new: dict[Key, dict[str, Any]],
    changes: list[tuple[Key, _Valid, str]],
    pupils: dict[str, Pupil],
    now: dt.datetime,
    principal: Principal,
    per_event: int,
    session: AsyncSession,
) -> None:
    """New marks first, then amendments, in chunks, all keyed by URN so each pupil's stay in order."""
    upn_of = {pupil.id: upn for upn, pupil in pupils.items()}
    recorded = [
        RecordedMark(
            upn=upn_of[key[0]],
            date=key[1],
            session=key[2],
            code=row["code"],
            minutes_late=row["minutes_late"],
            recorded_at=now,
        )
        for key, row in new.items()
    ]
    for chunk in _chunks(recorded, per_event):
        add_event(
            session, MarksRecorded(school_urn=school.urn, la_code=school.la_code, marks=chunk), source=SOURCE
        )
    amended = [
        AmendedMark(
            upn=upn_of[key[0]],
            date=key[1],
            session=key[2],
            code=v.code,
            minutes_late=v.minutes_late,
            recorded_at=now,
            previous_code=previous,
            reason=v.reason,
            changed_by_sub=principal.sub,
            changed_by_role=str(principal.role),
        )
        for key, v, previous in changes
    ]
    for chunk in _chunks(amended, per_event):
        add_event(
            session, MarksAmended(school_urn=school.urn, la_code=school.la_code, marks=chunk), source=SOURCE
        )


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
