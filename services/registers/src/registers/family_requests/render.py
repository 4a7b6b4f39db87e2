"""Reports and leave requests as the API shows them: who submitted, the decision, any withdrawal."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol, TypeVar

from registers.family_requests.schemas import Decision, Person, RequestOut, Withdrawal

Out = TypeVar("Out", bound=RequestOut)
_PEOPLE = ("submitted_by", "decision", "withdrawal")


class _Request(Protocol):
    """What a report and a leave request both keep about who acted."""

    status: str
    submitted_by_sub: str
    submitted_by_role: str
    submitted_by_name: str | None
    decision_note: str | None
    decided_at: dt.datetime | None
    decided_by_sub: str | None
    decided_by_role: str | None
    decided_by_name: str | None
    withdrawn_at: dt.datetime | None
    withdrawn_by_sub: str | None
    withdrawn_by_role: str | None
    withdrawn_by_name: str | None


def request_out(out: type[Out], row: _Request) -> Out:
    """A row as the API shows it: its own columns under the schema's names, and who acted, when."""
    columns = {name: getattr(row, name) for name in out.model_fields if name not in _PEOPLE}
    return out.model_validate(columns | _people(row))


def _people(row: _Request) -> dict[str, Any]:
    decision = withdrawal = None
    if row.decided_at is not None:
        by = Person(sub=row.decided_by_sub or "", role=row.decided_by_role or "", name=row.decided_by_name)
        decision = Decision(outcome=row.status, note=row.decision_note, by=by, at=row.decided_at)
    if row.withdrawn_at is not None:
        by = Person(
            sub=row.withdrawn_by_sub or "", role=row.withdrawn_by_role or "", name=row.withdrawn_by_name
        )
        withdrawal = Withdrawal(by=by, at=row.withdrawn_at)
    submitted_by = Person(sub=row.submitted_by_sub, role=row.submitted_by_role, name=row.submitted_by_name)
    return {"submitted_by": submitted_by, "decision": decision, "withdrawal": withdrawal}
