"""What leaves the system for an LA: each event type's `data` cut to a fixed field list.

One function per event type turns the internal event into what one LA may be told about one of
its own pupils: never another pupil of the family, never another LA's pupil. Webhooks send these
(one delivery per LA subscription and pupil); the LA's own topic (`attendance.la.{la_code}`) is to
carry the same. The models fix the field lists: a field the internal event grows stays inside.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from attendance_common.events.alerts import AlertCleared, AlertRaised
from attendance_common.events.casework import ReferralMade
from attendance_common.events.catalog import decode
from attendance_common.events.envelope import CloudEvent
from attendance_common.events.registers import PupilDeleted


class AlertData(BaseModel):
    """api.md "Webhooks": alert events carry thin data, no names or contact details."""

    alert_id: str
    type: str
    school_urn: str
    la_code: str
    upn: str
    date: dt.date | None
    raised_at: dt.datetime
    rule_version: str


class AlertClearedData(AlertData):
    cleared_at: dt.datetime


class ReferralData(BaseModel):
    """A case referred to the LA, naming only the one pupil of that LA it is about."""

    case_id: str
    reason: str
    to: str
    school_urn: str
    la_code: str
    upn: str
    made_at: dt.datetime


class NoticeContact(BaseModel):
    """A parent or emergency contact, as the deletion notice must give them (domain.md section 8)."""

    name: str
    relationship: str | None
    parental_responsibility: bool
    email: str | None
    phone: str | None
    priority: int


class DeletionData(BaseModel):
    """The statutory notice to the pupil's own LA of a deletion from the admission register: who
    the pupil is, the ground and date, the school's note (e.g. where the family went), and the
    parents and emergency contacts. No social worker, no characteristics, no other pupil."""

    school_urn: str
    la_code: str
    upn: str
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    ground: str
    date: dt.date
    note: str | None
    contacts: list[NoticeContact]


@dataclass(frozen=True)
class ForLa:
    """What one LA is told about one of its pupils."""

    la_code: str | None
    school_urn: str
    upn: str
    data: BaseModel


def alert_raised(event: AlertRaised) -> list[ForLa]:
    data = AlertData.model_validate(event.model_dump(include=set(AlertData.model_fields)))
    return [ForLa(event.la_code, event.school_urn, event.upn, data)]


def alert_cleared(event: AlertCleared) -> list[ForLa]:
    data = AlertClearedData.model_validate(event.model_dump(include=set(AlertClearedData.model_fields)))
    return [ForLa(event.la_code, event.school_urn, event.upn, data)]


def referral_made(event: ReferralMade) -> list[ForLa]:
    """The referred pupil, to its LA; a referral of the whole family (no `upn`): each pupil, to
    its own LA. A `upn` that is not among the case's pupils names no one (its LA is unknown)."""
    named = [p for p in event.pupils if p.upn == event.upn] if event.upn else list(event.pupils)
    return [
        ForLa(
            pupil.la_code,
            pupil.school_urn,
            pupil.upn,
            ReferralData(
                case_id=event.case_id,
                reason=event.reason,
                to=event.to,
                school_urn=pupil.school_urn,
                la_code=pupil.la_code or "",
                upn=pupil.upn,
                made_at=event.made_at,
            ),
        )
        for pupil in named
        if pupil.la_code
    ]


def pupil_deleted(event: PupilDeleted) -> list[ForLa]:
    data = DeletionData(
        **event.model_dump(include=set(DeletionData.model_fields) - {"contacts"}),
        contacts=[NoticeContact.model_validate(c.model_dump()) for c in event.contacts],
    )
    return [ForLa(event.la_code, event.school_urn, event.upn, data)]


SHAPES: dict[str, Callable[[Any], list[ForLa]]] = {
    AlertRaised.event_type: alert_raised,
    AlertCleared.event_type: alert_cleared,
    ReferralMade.event_type: referral_made,
    PupilDeleted.event_type: pupil_deleted,
}
EVENT_TYPES = tuple(SHAPES)  # the events an LA can be sent


def for_las(event: CloudEvent) -> list[ForLa]:
    """The event as each LA may see it (one per pupil named); [] for a type that never leaves."""
    shape = SHAPES.get(event.type)
    return shape(decode(event)) if shape is not None else []


def outward_event(event: dict[str, Any], school_urn: str, upn: str) -> dict[str, Any] | None:
    """The stored CloudEvent (structured mode) as it leaves about the pupil `upn` at `school_urn`:
    its envelope with the thin data, without the internal trace context; None if it names no
    such pupil."""
    received = CloudEvent.model_validate(event)
    for item in for_las(received):
        if (item.school_urn, item.upn) == (school_urn, upn):
            envelope = received.model_copy(update={"data": item.data.model_dump(mode="json")})
            return envelope.model_dump(mode="json", exclude_none=True, exclude={"traceparent"})
    return None
