"""Events of the registers service: schools and pupils (`attendance.pupils`), marks (`attendance.marks`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

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
from attendance_common.events.base import MARKS_TOPIC, PUPILS_TOPIC, EventData

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


class SchoolUpserted(EventData):
    """A school was registered or its details changed."""

    event_type: ClassVar[str] = "attendance.school.upserted"
    topic: ClassVar[str] = PUPILS_TOPIC
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"urn": "100001", "name": "Hill Primary", "la_code": "380", "phase": "primary"}]
        }
    )

    urn: str
    name: Name
    la_code: str
    phase: Code | None = None

    def key(self) -> str:
        return self.urn

    def subject(self) -> str:
        return self.urn


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


class PupilUpserted(EventData):
    """A pupil was put on roll or their record (characteristics, contacts, social worker) changed."""

    event_type: ClassVar[str] = "attendance.pupil.upserted"
    topic: ClassVar[str] = PUPILS_TOPIC
    model_config = ConfigDict(json_schema_extra={"examples": [_PUPIL_EXAMPLE]})

    school_urn: str
    la_code: str
    upn: str
    given_name: PupilName
    family_name: PupilName
    date_of_birth: date | None = None
    year_group: str
    start_date: date
    characteristics: Characteristics
    social_worker: SocialWorker | None = None
    contacts: Contacts = []

    def key(self) -> str:
        return self.upn

    def subject(self) -> str:
        return self.upn


class PupilDeleted(EventData):
    """A pupil's name was deleted from the admission register on a regulation 9 ground.

    Carries what the LA must be told (domain.md section 8): name, parents and contacts.
    """

    event_type: ClassVar[str] = "attendance.pupil.deleted"
    topic: ClassVar[str] = PUPILS_TOPIC
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **{k: _PUPIL_EXAMPLE[k] for k in ("school_urn", "la_code", "upn")},
                    **{k: _PUPIL_EXAMPLE[k] for k in ("given_name", "family_name", "date_of_birth")},
                    "ground": "moved_away",
                    "date": "2026-11-23",
                    "note": "Family moved to Leeds",
                    "contacts": _PUPIL_EXAMPLE["contacts"],
                    "social_worker": None,
                }
            ]
        }
    )

    school_urn: str
    la_code: str
    upn: str
    given_name: PupilName
    family_name: PupilName
    date_of_birth: date | None = None
    ground: str
    date: date
    note: RegisterNote | None = None
    contacts: Contacts = []
    social_worker: SocialWorker | None = None

    def key(self) -> str:
        return self.upn

    def subject(self) -> str:
        return self.upn


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


class MarksRecorded(EventData):
    """New marks for one school, batched: keyed by URN so each pupil's marks stay in order."""

    event_type: ClassVar[str] = "attendance.mark.recorded"
    topic: ClassVar[str] = MARKS_TOPIC
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"school_urn": "100001", "la_code": "380", "marks": [_MARK]}]}
    )

    school_urn: str
    la_code: str
    marks: Annotated[list[RecordedMark], Field(max_length=MARKS)]

    def key(self) -> str:
        return self.school_urn

    def subject(self) -> str:
        return self.school_urn


class MarksAmended(EventData):
    """Marks of one school changed to a different code, each with the code it replaced."""

    event_type: ClassVar[str] = "attendance.mark.amended"
    topic: ClassVar[str] = MARKS_TOPIC
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
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
            ]
        }
    )

    school_urn: str
    la_code: str
    marks: Annotated[list[AmendedMark], Field(max_length=MARKS)]

    def key(self) -> str:
        return self.school_urn

    def subject(self) -> str:
        return self.school_urn
