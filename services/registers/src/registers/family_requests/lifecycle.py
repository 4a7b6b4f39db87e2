"""A family's request, absence report or leave alike: submitted, then decided once or withdrawn
while it waits; each change written with its event (`Kind` says which events, and what they carry).
Use cases never commit; they add and flush.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal
from attendance_common.clock import now_utc
from attendance_common.events.base import EventData
from attendance_common.messaging import add_event
from registers.family_requests import rules
from registers.models import AbsenceReport, LeaveRequest, Pupil, School

SOURCE = "registers"
Request = TypeVar("Request", AbsenceReport, LeaveRequest)


@dataclass(frozen=True)
class Kind(Generic[Request]):
    """One kind of request: its table, name, the status it waits in, the outcome that needs a note,
    its events, what every one of them carries, and the columns a new one takes from its body."""

    model: type[Request]
    name: str
    waiting: str
    needs_note: str
    submitted: type[EventData]
    decided: type[EventData]
    withdrawn: type[EventData]
    id_field: str  # what its events (and its routes) call its id: `report_id`, `request_id`
    carried: tuple[str, ...]  # its own columns that its events carry: never the family's own words
    columns: Callable[[Any, dt.date], dict[str, object]]  # (body, today): refuses what its rules refuse

    def span(self, request: Request, school: School) -> dict[str, object]:
        """What every event of this kind carries: whose request, and the days it covers."""
        columns = ("school_urn", "upn", "first_date", "last_date", *self.carried)
        return {self.id_field: request.id, "la_code": school.la_code} | {
            c: getattr(request, c) for c in columns
        }


async def submit(
    session: AsyncSession,
    kind: Kind[Request],
    *,
    school: School,
    pupil: Pupil,
    data: Any,
    by: Principal,
    today: dt.date,
) -> Request:
    """Record a new request, once the kind's rules pass its body, with its submitted event."""
    request = kind.model(
        id=str(uuid.uuid4()),
        school_urn=school.urn,
        pupil_id=pupil.id,
        upn=pupil.upn,
        status=kind.waiting,
        submitted_at=now_utc(),
        submitted_by_sub=by.sub,
        submitted_by_role=by.role.value,
        submitted_by_name=by.name,
        **kind.columns(data, today),
    )
    session.add(request)
    await session.flush()
    event = kind.submitted(
        **kind.span(request, school),
        submitted_at=request.submitted_at,
        submitted_by_role=request.submitted_by_role,
    )
    add_event(session, event, source=SOURCE)
    return request


async def decide(
    session: AsyncSession,
    request: Request,
    kind: Kind[Request],
    *,
    school: School,
    outcome: str,
    note: str | None,
    by: Principal,
) -> None:
    """Decide a request still waiting; the outcome `kind.needs_note` says why (`note`)."""
    rules.check_undecided(request.status, kind.waiting, f"{kind.name} {request.id}")
    rules.check_decision_note(outcome, note, needs_note=kind.needs_note)
    request.status, request.decision_note, request.decided_at = outcome, note, now_utc()
    request.decided_by_sub, request.decided_by_role, request.decided_by_name = by.sub, by.role.value, by.name
    await session.flush()
    event = kind.decided(
        **kind.span(request, school),
        outcome=outcome,
        decided_at=request.decided_at,
        decided_by_role=request.decided_by_role,
    )
    add_event(session, event, source=SOURCE)


async def withdraw(
    session: AsyncSession, request: Request, kind: Kind[Request], *, school: School, by: Principal
) -> None:
    """Withdraw a request still waiting for a decision."""
    rules.check_undecided(request.status, kind.waiting, f"{kind.name} {request.id}")
    request.status, request.withdrawn_at = "withdrawn", now_utc()
    request.withdrawn_by_sub, request.withdrawn_by_role, request.withdrawn_by_name = (
        by.sub,
        by.role.value,
        by.name,
    )
    await session.flush()
    event = kind.withdrawn(
        **kind.span(request, school),
        withdrawn_at=request.withdrawn_at,
        withdrawn_by_role=request.withdrawn_by_role,
    )
    add_event(session, event, source=SOURCE)
