"""Events of the registers service: schools and pupils (`attendance.pupils`), marks (`attendance.marks`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict

from attendance_common.bounds import (
    CONTACTS,
    MARKS,
    PUPIL_NAME_LENGTH,
    Code,
    Email,
    Label,
    Name,
    Phone,
    RegisterNote,
)
from attendance_common.events.base import MARKS_TOPIC, PUPILS_TOPIC, EventData, examples

Session = Literal["AM", "PM"]
SenStatus = Literal["N", "K", "E"]


class Characteristics(BaseModel):
    model_config = ConfigDict(frozen=True)

    fsm_eligible: bool = False
    sen_status: SenStatus = "N"
    has_social_worker: bool = False


class SocialWorker(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: Name
    email: Email | None = None
    phone: Phone | None = None


class Contact(BaseModel):
    model_config = ConfigDict(frozen=True)

    contact_id: Label
    name: Name
    relationship: Label | None = None
    parental_responsibility: bool = False
    email: Email | None = None
    phone: Phone | None = None
    priority: int = 1


PupilName = Annotated[str, Field(max_length=PUPIL_NAME_LENGTH)]
Contacts = Annotated[list[Contact], Field(max_length=CONTACTS)]


class AttendanceLead(BaseModel):
    """The senior leader responsible for attendance at a school."""

    model_config = ConfigDict(frozen=True)

    name: Name
    email: Email


class Trust(BaseModel):
    """The academy trust a school belongs to; its `id` is what a trust officer's `trust` claim names."""

    model_config = ConfigDict(frozen=True)

    id: Label
    name: Name


class SchoolUpserted(EventData):
    """A school was registered or its details changed (`trust`: null when it is in no trust)."""

    event_type: ClassVar[str] = "attendance.school.upserted"
    topic: ClassVar[str] = PUPILS_TOPIC
    key_field: ClassVar[str] = "urn"
    model_config = examples(
        {
            "urn": "100001",
            "name": "Hill Primary",
            "la_code": "380",
            "phase": "primary",
            "attendance_lead": {"name": "Grace Hopper", "email": "g.hopper@hill.sch.uk"},
            "trust": {"id": "T123", "name": "Northern Lights Academy Trust"},
        }
    )

    urn: str
    name: Name
    la_code: str
    phase: Code | None = None
    attendance_lead: AttendanceLead | None = None
    trust: Trust | None = None


_PUPIL_EXAMPLE: dict[str, Any] = {
    "school_urn": "100001",
    "la_code": "380",
    "upn": "A801200115001",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "date_of_birth": "2015-03-01",
    "year_group": "6",
    "start_date": "2021-09-01",
    "characteristics": {"fsm_eligible": True, "sen_status": "N", "has_social_worker": False},
    "social_worker": None,
    "contacts": [
        {
            "contact_id": "c1",
            "name": "Annabella Milbanke",
            "relationship": "mother",
            "parental_responsibility": True,
            "email": "annabella@example.com",
            "phone": "07700900001",
            "priority": 1,
        }
    ],
}


class _PupilEvent(EventData):
    """Who the pupil is, at which school."""

    topic: ClassVar[str] = PUPILS_TOPIC
    key_field: ClassVar[str] = "upn"

    school_urn: str
    la_code: str
    upn: str
    given_name: PupilName
    family_name: PupilName
    date_of_birth: date | None = None


class PupilUpserted(_PupilEvent):
    """A pupil was put on roll or their record (characteristics, contacts, social worker) changed."""

    event_type: ClassVar[str] = "attendance.pupil.upserted"
    model_config = examples(_PUPIL_EXAMPLE)

    year_group: str
    start_date: date
    characteristics: Characteristics
    social_worker: SocialWorker | None = None
    contacts: Contacts = []


class PupilDeleted(_PupilEvent):
    """A pupil's name was deleted from the admission register on a regulation 9 ground.

    Carries what the LA must be told (domain.md section 8): name, parents and contacts.
    """

    event_type: ClassVar[str] = "attendance.pupil.deleted"
    model_config = examples(
        {
            **{name: _PUPIL_EXAMPLE[name] for name in _PupilEvent.model_fields},
            "ground": "moved_away",
            "date": "2026-11-23",
            "note": "Family moved to Leeds",
            "contacts": _PUPIL_EXAMPLE["contacts"],
            "social_worker": None,
        }
    )

    ground: str
    date: date
    note: RegisterNote | None = None
    contacts: Contacts = []
    social_worker: SocialWorker | None = None


class RecordedMark(BaseModel):
    model_config = ConfigDict(frozen=True)

    upn: str
    date: date
    session: Session
    code: str
    minutes_late: int | None = None
    recorded_at: datetime


class AmendedMark(RecordedMark):
    previous_code: str
    reason: RegisterNote | None = None
    changed_by_sub: str
    changed_by_role: str


_MARK: dict[str, Any] = {
    "upn": "A801200115001",
    "date": "2026-09-07",
    "session": "AM",
    "code": "N",
    "recorded_at": "2026-09-07T08:52:00Z",
}


class _MarksEvent(EventData):
    """The school a batch of marks is for: its URN is the key, so each pupil's marks stay in order."""

    topic: ClassVar[str] = MARKS_TOPIC
    key_field: ClassVar[str] = "school_urn"

    school_urn: str
    la_code: str


class MarksRecorded(_MarksEvent):
    """New marks for one school, batched: keyed by URN so each pupil's marks stay in order."""

    event_type: ClassVar[str] = "attendance.mark.recorded"
    model_config = examples({"school_urn": "100001", "la_code": "380", "marks": [_MARK]})

    marks: Annotated[list[RecordedMark], Field(max_length=MARKS)]


class MarksAmended(_MarksEvent):
    """Marks of one school changed to a different code, each with the code it replaced."""

    event_type: ClassVar[str] = "attendance.mark.amended"
    model_config = examples(
        {
            "school_urn": "100001",
            "la_code": "380",
            "marks": [
                {
                    **_MARK,
                    "code": "I",
                    "previous_code": "N",
                    "reason": "Parent phoned: ill",
                    "recorded_at": "2026-09-08T09:15:00Z",
                    "changed_by_sub": "mis-vendor-1",
                    "changed_by_role": "mis",
                }
            ],
        }
    )

    marks: Annotated[list[AmendedMark], Field(max_length=MARKS)]


class MarkFact(TypedDict):
    """A mark as a projection needs it: the part of an event's mark a worker reads (MARKS_READER)."""

    upn: str
    date: date
    session: Session
    code: str


class MarksFacts(TypedDict):
    """A marks event (recorded or amended) as a worker reads it."""

    school_urn: str
    la_code: str | None
    marks: list[MarkFact]


# Validates a marks event's JSON into plain dicts of the fields above: a quarter of the event
# model's cost per mark, and a morning brings a thousand marks per school.
MARKS_READER = TypeAdapter(MarksFacts).validate_json
# A consumer's readers (event type -> reader) for both marks events.
MARKS_READERS = {MarksRecorded.event_type: MARKS_READER, MarksAmended.event_type: MARKS_READER}
