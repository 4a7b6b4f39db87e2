"""School use cases."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.clock import now_utc
from attendance_common.events.registers import SchoolUpserted
from attendance_common.messaging import add_event
from registers.models import School
from registers.schemas import SchoolIn

SOURCE = "registers"


async def upsert_school(session: AsyncSession, *, urn: str, data: SchoolIn) -> tuple[School, bool]:
    """Create or update a school; emit `attendance.school.upserted` only when something changed."""
    school = await session.get(School, urn)
    created = school is None
    if school is None:
        school = School(urn=urn)
        session.add(school)
    elif (school.name, school.la_code, school.phase) == (data.name, data.la_code, data.phase):
        return school, False
    school.name, school.la_code, school.phase = data.name, data.la_code, data.phase
    school.updated_at = now_utc()
    add_event(
        session,
        SchoolUpserted(urn=urn, name=data.name, la_code=data.la_code, phase=data.phase),
        source=SOURCE,
    )
    return school, created
