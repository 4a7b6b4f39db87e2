"""School use cases."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.clock import now_utc
from attendance_common.events.registers import AttendanceLead, SchoolUpserted, Trust
from attendance_common.messaging import add_event
from registers.models import School
from registers.schemas import SchoolIn, SchoolOut

SOURCE = "registers"
TRUST_COLUMNS = ("trust_id", "trust_name")


def put_columns(data: SchoolIn) -> dict[str, Any]:
    """The columns a PUT sets: `attendance_lead` and `trust` only when sent (left out, they stay)."""
    columns: dict[str, Any] = {"name": data.name, "la_code": data.la_code, "phase": data.phase}
    if "attendance_lead" in data.model_fields_set:
        lead = data.attendance_lead
        columns["attendance_lead_name"] = lead.name if lead else None
        columns["attendance_lead_email"] = str(lead.email) if lead else None
    if "trust" in data.model_fields_set:
        trust = data.trust
        columns["trust_id"] = trust.id if trust else None
        columns["trust_name"] = trust.name if trust else None
    return columns


async def upsert_school(session: AsyncSession, *, urn: str, data: SchoolIn) -> tuple[School, bool]:
    """Create or update a school; emit `attendance.school.upserted` only when something changed."""
    school = await session.get(School, urn)
    created = school is None
    columns = put_columns(data)
    if school is None:
        school = School(urn=urn)
        session.add(school)
    elif all(getattr(school, column) == value for column, value in columns.items()):
        return school, False
    for column, value in columns.items():
        setattr(school, column, value)
    school.updated_at = now_utc()
    add_event(session, school_event(school), source=SOURCE)
    return school, created


def attendance_lead(school: School) -> AttendanceLead | None:
    if school.attendance_lead_name is None or school.attendance_lead_email is None:
        return None
    return AttendanceLead(name=school.attendance_lead_name, email=school.attendance_lead_email)


def trust(school: School) -> Trust | None:
    if school.trust_id is None:
        return None
    return Trust(id=school.trust_id, name=school.trust_name or "")


def school_event(school: School) -> SchoolUpserted:
    """The whole school as stored: consumers keep its LA and trust for their scope checks."""
    return SchoolUpserted(
        urn=school.urn,
        name=school.name,
        la_code=school.la_code,
        phase=school.phase,
        attendance_lead=attendance_lead(school),
        trust=trust(school),
    )


def school_out(school: School) -> SchoolOut:
    return SchoolOut.model_validate(school_event(school).model_dump())
