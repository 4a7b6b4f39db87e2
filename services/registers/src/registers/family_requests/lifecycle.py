"""A family's request, absence report or leave alike: submitted, then decided once or withdrawn
while it waits; each change written with its event (`Kind` says which events, and what they carry).
Use cases never commit; they add and flush.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

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
    whose = {"school_urn": school.urn, "pupil_id": pupil.id, "upn": pupil.upn}
    request = kind.model(id=str(uuid.uuid4()), status=kind.waiting, **whose, **kind.columns(data, today))
    session.add(request)
    await _happened(session, request, kind, school, kind.submitted, "submitted", by)
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
    request.status, request.decision_note = outcome, note
    await _happened(session, request, kind, school, kind.decided, "decided", by, outcome=outcome)


async def withdraw(
    session: AsyncSession, request: Request, kind: Kind[Request], *, school: School, by: Principal
) -> None:
    """Withdraw a request still waiting for a decision."""
    rules.check_undecided(request.status, kind.waiting, f"{kind.name} {request.id}")
    request.status = "withdrawn"
    await _happened(session, request, kind, school, kind.withdrawn, "withdrawn", by)


async def _happened(
    session: AsyncSession,
    request: Request,
    kind: Kind[Request],
    school: School,
    event: type[EventData],
    act: Literal["submitted", "decided", "withdrawn"],
    by: Principal,
    **extra: object,
) -> None:
    """Record when and by whom `act` happened (the `{act}_at`, `{act}_by_*` columns), and its event,
    which tells when and the role (`{act}_at`, `{act}_by_role`)."""
    at, role = now_utc(), by.role.value
    for column, value in (("at", at), ("by_sub", by.sub), ("by_role", role), ("by_name", by.name)):
        setattr(request, f"{act}_{column}", value)
    await session.flush()
    when = {f"{act}_at": at, f"{act}_by_role": role}
    add_event(session, event(**kind.span(request, school), **extra, **when), source=SOURCE)
