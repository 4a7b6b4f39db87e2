"""A family's request, absence report or leave alike: submitted, then decided once or withdrawn
while it waits; each change written with its event (`Kind` says which events, and what they carry).
Use cases never commit; they add and flush.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal
from attendance_common.clock import now_utc
from attendance_common.events.base import EventData
from attendance_common.messaging import add_event
from registers.family_requests import rules
from registers.models import AbsenceReport, LeaveRequest, School

SOURCE = "registers"
Request = TypeVar("Request", AbsenceReport, LeaveRequest)


@dataclass(frozen=True)
class Kind(Generic[Request]):
    """One kind of request: its table, name, the status it waits in, the outcome that needs a note,
    its events, and what every one of them carries (`span`: never the family's own words)."""

    model: type[Request]
    name: str
    waiting: str
    needs_note: str
    submitted: type[EventData]
    decided: type[EventData]
    withdrawn: type[EventData]
    span: Callable[[Request, School], dict[str, object]]


def submitted_by(kind: Kind[Any], by: Principal) -> dict[str, Any]:
    """A new request's status and who submitted it, now."""
    return {
        "status": kind.waiting,
        "submitted_at": now_utc(),
        "submitted_by_sub": by.sub,
        "submitted_by_role": by.role.value,
        "submitted_by_name": by.name,
    }


async def add(session: AsyncSession, request: Request, kind: Kind[Request], school: School) -> None:
    """Record a new request (made with `submitted_by`) and its submitted event."""
    session.add(request)
    await session.flush()
    event = kind.submitted(
        **kind.span(request, school),
        submitted_at=request.submitted_at,
        submitted_by_role=request.submitted_by_role,
    )
    add_event(session, event, source=SOURCE)


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
