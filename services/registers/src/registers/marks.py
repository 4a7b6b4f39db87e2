"""Recording marks: per-item validation, new/amended/unchanged classification, history and events."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.audit import note_pupils
from attendance_common.auth import Principal
from attendance_common.clock import now_utc
from attendance_common.codes import ECHO_LENGTH, CodeError, lookup
from attendance_common.events.base import EventData
from attendance_common.events.registers import MarksAmended, MarksRecorded
from attendance_common.identifiers import compact_upn
from attendance_common.messaging import add_events
from registers import bulk, counters, school_days
from registers.family_requests import leave_requests
from registers.models import Mark, MarkChange, School
from registers.reports import day_codes
from registers.schemas import MarkIn, MarksResult, MarkWarning, RejectedMark

SOURCE = "registers"
SESSIONS = ("AM", "PM")
# Only the extended calendar form (api.md: dates are YYYY-MM-DD): Python's fromisoformat also takes
# "20261116" and "2026-W47-1", which would silently file a mark that the sender did not mean to send.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Key = bulk.Key


@dataclass(slots=True)
class _Valid:
    index: int
    upn: str
    date: dt.date
    session: str
    code: str
    minutes_late: int | None
    reason: str | None


class _Rejection(NamedTuple):
    error_code: str
    error: str


_Slot = tuple[dt.date, str, str]  # (date, session, code), normalised


@dataclass
class _Outcome:
    accepted: int = 0
    amended: int = 0
    unchanged: int = 0
    rejected: list[RejectedMark] = field(default_factory=list)

    def reject(self, index: int, item: MarkIn, error_code: str, error: str) -> None:
        self.rejected.append(
            RejectedMark(
                index=index, upn=echo(item.upn), code=echo(item.code), error_code=error_code, error=error
            )
        )


def echo(value: Any) -> str | None:
    """A field of a rejected item as sent, as text of at most 50 characters (null stays null).

    Anything but a string is shown as the start of its JSON: encoded lazily, so a value nested
    thousands deep costs 50 characters' work and never reaches the answer's serialiser whole."""
    if value is None or isinstance(value, str):
        return value if value is None else value[:ECHO_LENGTH]
    shown = ""
    for chunk in json.JSONEncoder(ensure_ascii=False).iterencode(value):
        shown += chunk
        if len(shown) >= ECHO_LENGTH:
            break
    return shown[:ECHO_LENGTH]


class ItemChecker:
    """The checks that need no database (types, session, code, date), with a per-batch cache:
    a morning's batch has one date, one session and a handful of codes, so each (date, session,
    code) as sent is checked once."""

    def __init__(self, today: dt.date, outcome: _Outcome) -> None:
        self.today = today
        self.outcome = outcome
        self.slots: dict[tuple[str, str, str], _Slot | _Rejection] = {}

    def check(self, index: int, item: MarkIn) -> _Valid | None:
        """The item, normalised, or None after recording why it was rejected."""
        upn, date, session, code = item.upn, item.date, item.session, item.code
        late, reason = item.minutes_late, item.reason
        if not (
            isinstance(upn, str)
            and isinstance(date, str)
            and isinstance(session, str)
            and isinstance(code, str)
            and (late is None or (isinstance(late, int) and not isinstance(late, bool) and 0 <= late <= 600))
            and (reason is None or (isinstance(reason, str) and len(reason) <= 1000))
        ):
            self.outcome.reject(index, item, "bad_item", _malformation(item))
            return None
        slot = self.slots.get((date, session, code))
        if slot is None:
            slot = self.slots[(date, session, code)] = self._slot(date, session, code)
        if isinstance(slot, _Rejection):
            self.outcome.reject(index, item, slot.error_code, slot.error)
            return None
        return _Valid(index, _compact_upn(upn), slot[0], slot[1], slot[2], late, reason)

    def _slot(self, date: str, session: str, code: str) -> _Slot | _Rejection:
        """The normalised (date, session, code), or why they are rejected: session, code, then date."""
        session_name = session.upper()
        if session_name not in SESSIONS:
            return _Rejection("bad_session", f"session must be AM or PM, not {session[:ECHO_LENGTH]!r}")
        try:
            code_name = lookup(code).code
        except CodeError as error:
            return _Rejection(error.error_code, str(error))
        day = _parse_date(date)
        if day is None:
            return _Rejection("bad_date", f"date must be YYYY-MM-DD, not {date[:ECHO_LENGTH]!r}")
        if day > self.today:
            return _Rejection("future_date", f"{day} is in the future (today is {self.today})")
        return day, session_name, code_name


def _malformation(item: MarkIn) -> str:
    """Why a malformed item is `bad_item`: its first field of the wrong type or out of range."""
    for name in ("upn", "date", "session", "code"):
        if not isinstance(getattr(item, name), str):
            return f"{name} must be a string"
    late = item.minutes_late
    if late is not None and (not isinstance(late, int) or isinstance(late, bool) or not 0 <= late <= 600):
        return "minutes_late must be a whole number from 0 to 600, or null"
    return "reason must be text of at most 1,000 characters, or null"


def _compact_upn(upn: str) -> str:
    """compact_upn, without its character-by-character clean-up for a UPN sent already compact."""
    if upn.isascii() and upn.isalnum() and upn.isupper():
        return upn
    return compact_upn(upn)


def _parse_date(text: str) -> dt.date | None:
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:  # e.g. 2026-02-30
        return None


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
    checker = ItemChecker(today, outcome)
    valid = [v for i, item in enumerate(items) if (v := checker.check(i, item))]
    pupils = await bulk.pupils_by_upn(session, school.urn, (v.upn for v in valid))
    on_roll: list[tuple[_Valid, int]] = []
    revealed: list[str] = []  # pupils whose record a rejection's message tells of (for the audit log)
    for v in valid:
        pupil = pupils.get(v.upn)
        item = items[v.index]
        if pupil is None:
            shown = v.upn[:ECHO_LENGTH]
            outcome.reject(v.index, item, "unknown_pupil", f"no pupil {shown} at school {school.urn}")
        elif v.date < pupil.start_date:
            outcome.reject(v.index, item, "before_start_date", f"{v.date} is before {pupil.start_date}")
            revealed.append(v.upn)
        elif pupil.deleted_on is not None and v.date > pupil.deleted_on:
            outcome.reject(v.index, item, "not_on_roll", f"deleted from roll on {pupil.deleted_on}")
            revealed.append(v.upn)
        else:
            on_roll.append((v, pupil.id))
    note_pupils((school.urn, upn) for upn in revealed)
    outcome.rejected.sort(key=lambda rejected: rejected.index)

    days = {v.date for v, _ in on_roll}
    existing = await bulk.existing_marks(session, (pid for _, pid in on_roll), days)
    inside_leave = await leave_requests.marks_inside_leave(session, school.urn, on_roll, days)
    now = now_utc()
    current: dict[Key, str] = {key: code for key, (_, code) in existing.items()}
    new: dict[Key, _Valid] = {}
    changes: list[tuple[Key, _Valid, str]] = []
    for v, pupil_id in on_roll:
        key = (pupil_id, v.date, v.session)
        previous = current.get(key)
        if previous is None:
            new[key] = v
            outcome.accepted += 1
        elif previous == v.code:
            outcome.unchanged += 1
            continue
        else:
            changes.append((key, v, previous))
            outcome.amended += 1
        current[key] = v.code

    await bulk.insert_marks(session, _mark_rows(new, now, principal))
    if changes:
        ids = {key: mark_id for key, (mark_id, _) in existing.items()}
        ids.update(await bulk.mark_ids(session, {key for key, _, _ in changes if key not in ids}))
        await _amend(session, changes, ids, current, now, principal)
    await counters.apply_deltas(
        session,
        counters.month_deltas(
            ((k[0], k[1], v.code) for k, v in new.items()),
            ((k[0], k[1], previous, v.code) for k, v, previous in changes),
        ),
    )
    await school_days.apply_deltas(
        session,
        school.urn,
        school_days.day_deltas(
            ((k[1], v.code) for k, v in new.items()), ((k[1], previous, v.code) for k, v, previous in changes)
        ),
    )
    await day_codes.apply_deltas(
        session,
        school.urn,
        day_codes.code_deltas(
            ((k[1], v.code) for k, v in new.items()), ((k[1], previous, v.code) for k, v, previous in changes)
        ),
    )
    await _stage_events(school, new, changes, now, principal, marks_per_event, session)
    return MarksResult(
        accepted=outcome.accepted,
        amended=outcome.amended,
        unchanged=outcome.unchanged,
        rejected=outcome.rejected,
        warnings=[_leave_warning(items[v.index], v, expected) for v, expected in inside_leave],
    )


def _leave_warning(item: MarkIn, mark: _Valid, expected: str) -> MarkWarning:
    """A mark stored as sent, though granted leave says the register records `expected` then."""
    return MarkWarning(
        index=mark.index,
        upn=item.upn,
        warning_code="differs_from_granted_leave",
        message=f"{mark.date} {mark.session} is inside granted leave: the register records it as "
        f"{expected}, not {mark.code}",
    )


def _mark_rows(new: dict[Key, _Valid], now: dt.datetime, principal: Principal) -> list[tuple[Any, ...]]:
    """The new marks as rows in bulk.MARK_COLUMNS order."""
    sub, role, name = principal.sub, str(principal.role), principal.name
    return [(k[0], k[1], k[2], v.code, v.minutes_late, now, sub, role, name) for k, v in new.items()]


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


async def _stage_events(
    school: School,
    new: dict[Key, _Valid],
    changes: list[tuple[Key, _Valid, str]],
    now: dt.datetime,
    principal: Principal,
    per_event: int,
    session: AsyncSession,
) -> None:
    """New marks first, then amendments, in chunks, all keyed by URN so each pupil's stay in order.

    Each event is validated whole from plain dicts: pydantic-core builds the 1,000 marks of a chunk
    several times faster than 1,000 `model_construct` calls in Python. The outbox rows go in one
    statement, not through the ORM's unit of work.
    """
    school_fields = {"school_urn": school.urn, "la_code": school.la_code}
    # Grouped by pupil (a stable sort keeps each pupil's own order), so a pupil's marks of one
    # request travel in one event: the alerts they raise are one batch (notifications' catch_up.py).
    recorded = [_recorded(v, now) for v in sorted(new.values(), key=_by_pupil)]
    changed_by = {"changed_by_sub": principal.sub, "changed_by_role": str(principal.role)}
    amended = [
        {**_recorded(v, now), "previous_code": previous, "reason": v.reason, **changed_by}
        for _, v, previous in sorted(changes, key=lambda change: _by_pupil(change[1]))
    ]
    events: list[EventData] = [
        MarksRecorded.model_validate({**school_fields, "marks": chunk})
        for chunk in _chunks(recorded, per_event)
    ]
    events += [
        MarksAmended.model_validate({**school_fields, "marks": chunk})
        for chunk in _chunks(amended, per_event)
    ]
    await add_events(session, events, source=SOURCE)


def _by_pupil(mark: _Valid) -> str:
    return mark.upn


def _recorded(mark: _Valid, now: dt.datetime) -> dict[str, Any]:
    """A mark as the events carry it."""
    return {
        "upn": mark.upn,
        "date": mark.date,
        "session": mark.session,
        "code": mark.code,
        "minutes_late": mark.minutes_late,
        "recorded_at": now,
    }


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
