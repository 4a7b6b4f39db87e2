"""What leaves the system for an LA: each event type's `data` cut to a fixed field list.

One function per event type turns the internal event into what one LA may be told about one of
its own pupils: never another pupil of the family, never another LA's pupil. Webhooks send these
(one delivery per LA subscription and pupil), and the LA's own topic (`attendance.la.{la_code}`,
la_streams.py) carries the same events, both from `outward_events`. The models (in
attendance_common.events.outward) fix the field lists: a field the internal event grows stays inside.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from attendance_common.events.alerts import AlertCleared, AlertRaised
from attendance_common.events.casework import (
    CasePupil,
    PlanAgreed,
    PlanEnded,
    PlanReviewed,
    ReferralMade,
    SupportMeetingHeld,
)
from attendance_common.events.catalog import decode
from attendance_common.events.envelope import CloudEvent
from attendance_common.events.outward import (  # the thin models, shared with the AsyncAPI document
    AlertClearedData,
    AlertData,
    DeletionData,
    PlanAgreedData,
    PlanEndedData,
    PlanReviewedData,
    ReferralData,
    SupportMeetingData,
)
from attendance_common.events.registers import PupilDeleted


@dataclass(frozen=True)
class ForLa:
    """What one LA is told about one of its pupils (`upn` "" for an event about a school as a
    whole: a targeting support meeting)."""

    la_code: str | None
    school_urn: str
    upn: str
    data: BaseModel

    @property
    def key(self) -> str:
        """The record key on the LA's topic: the pupil's UPN, or the school's URN."""
        return self.upn or self.school_urn


def _thin(event: BaseModel, model: type[BaseModel], **own: Any) -> BaseModel:
    """The event's fields that the thin `model` lists, with `own` (the pupil's) in place of the event's."""
    return model.model_validate({**event.model_dump(include=set(model.model_fields) - set(own)), **own})


def alert_raised(event: AlertRaised) -> list[ForLa]:
    return [ForLa(event.la_code, event.school_urn, event.upn, _thin(event, AlertData))]


def alert_cleared(event: AlertCleared) -> list[ForLa]:
    return [ForLa(event.la_code, event.school_urn, event.upn, _thin(event, AlertClearedData))]


def _pupils(
    event: ReferralMade | PlanAgreed | PlanReviewed | PlanEnded,
    model: type[BaseModel],
    pupils: Sequence[CasePupil],
) -> list[ForLa]:
    """A case event, once per pupil named whose LA is known, each naming that pupil alone."""
    return [
        ForLa(
            pupil.la_code,
            pupil.school_urn,
            pupil.upn,
            _thin(event, model, school_urn=pupil.school_urn, la_code=pupil.la_code, upn=pupil.upn),
        )
        for pupil in pupils
        if pupil.la_code
    ]


def referral_made(event: ReferralMade) -> list[ForLa]:
    """The referred pupil, to its LA; a referral of the whole family (no `upn`): each pupil, to
    its own LA. A `upn` that is not among the case's pupils names no one (its LA is unknown)."""
    named = [p for p in event.pupils if p.upn == event.upn] if event.upn else event.pupils
    return _pupils(event, ReferralData, named)


def pupil_deleted(event: PupilDeleted) -> list[ForLa]:
    return [ForLa(event.la_code, event.school_urn, event.upn, _thin(event, DeletionData))]


def plan_agreed(event: PlanAgreed) -> list[ForLa]:
    """A plan event goes to each pupil of the family whose LA is known (so do the two below)."""
    return _pupils(event, PlanAgreedData, event.pupils)


def plan_reviewed(event: PlanReviewed) -> list[ForLa]:
    return _pupils(event, PlanReviewedData, event.pupils)


def plan_ended(event: PlanEnded) -> list[ForLa]:
    return _pupils(event, PlanEndedData, event.pupils)


def support_meeting_held(event: SupportMeetingHeld) -> list[ForLa]:
    """The meeting, to the LA that held it with its school (the school's LA): no pupil, no attendee,
    no notes, no agreed wording."""
    return [ForLa(event.la_code, event.school_urn, "", _thin(event, SupportMeetingData))]


SHAPES: dict[str, Callable[[Any], list[ForLa]]] = {
    AlertRaised.event_type: alert_raised,
    AlertCleared.event_type: alert_cleared,
    ReferralMade.event_type: referral_made,
    PupilDeleted.event_type: pupil_deleted,
    PlanAgreed.event_type: plan_agreed,
    PlanReviewed.event_type: plan_reviewed,
    PlanEnded.event_type: plan_ended,
    SupportMeetingHeld.event_type: support_meeting_held,
}
EVENT_TYPES = tuple(SHAPES)  # the events an LA can be sent


def for_las(event: CloudEvent, data: Any = None) -> list[ForLa]:
    """The event as each LA may see it (one per pupil named); [] for a type that never leaves.
    `data`: the event's decoded payload, when the caller has it already."""
    shape = SHAPES.get(event.type)
    if shape is None:
        return []
    return shape(data if data is not None else decode(event))


def outward_events(event: CloudEvent, data: Any = None) -> list[tuple[ForLa, CloudEvent]]:
    """The event as it leaves, once per pupil it names, for that pupil's LA (webhooks and the LA's
    topic alike): its envelope (`id`, `source`, `type`, `subject`, `time`, `dataschema`) with the
    thin data, without the internal trace context. An event naming several pupils (a family's
    referral) leaves with an id per pupil, derived from its own, so each stays one event to the
    LA that dedupes by id."""
    items = for_las(event, data)
    return [
        (
            item,
            event.model_copy(
                update={
                    "id": event.id if len(items) == 1 else per_pupil_id(event.id, item.upn),
                    "data": item.data.model_dump(mode="json"),
                    "traceparent": None,
                }
            ),
        )
        for item in items
    ]


_PER_PUPIL = uuid.UUID("5b0c7e38-3f53-4e0f-8d7c-2f1f3c1a9e23")


def per_pupil_id(event_id: str, upn: str) -> str:
    return str(uuid.uuid5(_PER_PUPIL, f"{event_id}:{upn}"))


def outward_event(event: dict[str, Any], school_urn: str, upn: str) -> dict[str, Any] | None:
    """The stored CloudEvent (structured mode) as it leaves about the pupil `upn` at `school_urn`
    (`outward_events`); None if it names no such pupil."""
    for item, envelope in outward_events(CloudEvent.model_validate(event)):
        if (item.school_urn, item.upn) == (school_urn, upn):
            return envelope.structured()
    return None
