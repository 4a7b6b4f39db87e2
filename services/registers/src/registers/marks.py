"""Recording marks: per-item validation, new/amended/unchanged classification, history and events."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal
from attendance_common.clock import now_utc
from attendance_common.codes import CodeError, lookup
from attendance_common.events.registers import AmendedMark, MarksAmended, MarksRecorded, RecordedMark
from attendance_common.identifiers import compact_upn
from attendance_common.messaging import add_event
from registers import bulk, counters
from registers.models import Mark, MarkChange, Pupil, School
from registers.schemas import MarkIn, MarksResult, RejectedMark

SOURCE = "registers"
SESSIONS = ("AM", "PM")
# Only the extended calendar form (api.md: dates are YYYY-MM-DD): Python's fromisoformat also takes
# "20261116" and "2026-W47-1", which would silently file a mark that the sender did not mean to send.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Key = bulk.Key


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


class ItemChecker:
    """The checks that need no database (types, session, code, date), with per-batch caches:
    a morning's batch has one date and a handful of codes, so each is parsed once."""

    def __init__(self, today: dt.date, outcome: _Outcome) -> None:
        self.today = today
        self.outcome = outcome
        self.codes: dict[str, str | CodeError] = {}
        self.dates: dict[str, dt.date | None] = {}

    def check(self, index: int, item: MarkIn) -> _Valid | None:
        """The item, normalised, or None after recording why it was rejected."""
        reject = self.outcome.reject
        for name in ("upn", "date", "session", "code"):
            if not isinstance(getattr(item, name), str):
                reject(index, item, "bad_item", f"{name} must be a string")
                return None
        late, reason = item.minutes_late, item.reason
        if late is not None and (not isinstance(late, int) or isinstance(late, bool) or not 0 <= late <= 600):
            reject(index, item, "bad_item", "minutes_late must be a whole number from 0 to 600, or null")
            return None
        if reason is not None and (not isinstance(reason, str) or len(reason) > 1000):
            reject(index, item, "bad_item", "reason must be text of at most 1,000 characters, or null")
            return None
        session = item.session.upper()
        if session not in SESSIONS:
            reject(index, item, "bad_session", f"session must be AM or PM, not {item.session!r}")
            return None
        code = self.codes.get(item.code)
        if code is None:
            try:
                code = self.codes[item.code] = lookup(item.code).code
            except CodeError as error:
                code = self.codes[item.code] = error
        if isinstance(code, CodeError):
            reject(index, item, code.error_code, str(code))
            return None
        if item.date not in self.dates:
            self.dates[item.date] = _parse_date(item.date)
        date = self.dates[item.date]
        if date is None:
            reject(index, item, "bad_date", f"date must be YYYY-MM-DD, not {item.date!r}")
            return None
        if date > self.today:
            reject(index, item, "future_date", f"{date} is in the future (today is {self.today})")
            return None
        return _Valid(index, compact_upn(item.upn), date, session, code, late, reason)


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

    existing = await bulk.existing_marks(session, (pid for _, pid in on_roll), (v.date for v, _ in on_roll))
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

    await bulk.insert_marks(session, list(new.values()))
    if changes:
        ids = {key: mark_id for key, (mark_id, _) in existing.items()}
        ids.update(await bulk.mark_ids(session, {key for key, _, _ in changes if key not in ids}))
        await _amend(session, changes, ids, current, now, principal)
    await counters.apply_deltas(
        session,
        counters.month_deltas(
            ((k[0], k[1], row["code"]) for k, row in new.items()),
            ((k[0], k[1], previous, v.code) for k, v, previous in changes),
        ),
    )
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
        RecordedMark.model_construct(
            upn=upn_of[key[0]],
            date=key[1],
            session=key[2],  # type: ignore[arg-type]
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
        AmendedMark.model_construct(
            upn=upn_of[key[0]],
            date=key[1],
            session=key[2],  # type: ignore[arg-type]
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


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
