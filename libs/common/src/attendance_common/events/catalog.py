"""Every event type the platform knows, and typed decoding of a CloudEvent's data."""

from __future__ import annotations

from attendance_common.events.alerts import AlertCleared, AlertRaised
from attendance_common.events.base import EventData
from attendance_common.events.casework import (
    CaseClosed,
    CaseOpened,
    CaseStageChanged,
    LegalActionRecorded,
    ReferralMade,
)
from attendance_common.events.envelope import CloudEvent, EnvelopeError
from attendance_common.events.notifications import NotificationFailed, NotificationSent
from attendance_common.events.registers import (
    MarksAmended,
    MarksRecorded,
    PupilDeleted,
    PupilUpserted,
    SchoolUpserted,
)

EVENT_MODELS: dict[str, type[EventData]] = {
    model.event_type: model
    for model in (
        SchoolUpserted,
        PupilUpserted,
        PupilDeleted,
        MarksRecorded,
        MarksAmended,
        AlertRaised,
        AlertCleared,
        CaseOpened,
        CaseStageChanged,
        CaseClosed,
        ReferralMade,
        LegalActionRecorded,
        NotificationSent,
        NotificationFailed,
    )
}


def decode(event: CloudEvent) -> EventData:
    """The typed payload of `event`; EnvelopeError for an unknown type or a schema version we don't know."""
    model = EVENT_MODELS.get(event.type)
    if model is None:
        raise EnvelopeError(f"unknown event type {event.type!r}")
    if event.dataschema not in (None, model.dataschema()):
        raise EnvelopeError(f"{event.type}: unsupported dataschema {event.dataschema!r}")
    try:
        return model.model_validate(event.data)
    except ValueError as error:
        raise EnvelopeError(f"{event.type}: invalid data: {error}") from error
