"""The schools projection: which trust each school is in (api.md Part 2 "Roles added")."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.bulk import upsert_rows
from attendance_common.events.registers import SchoolUpserted
from casework.models import School


async def put_school(session: AsyncSession, data: SchoolUpserted) -> None:
    """The school as registers last described it: its LA and trust (None: in no trust)."""
    row = {"urn": data.urn, "la_code": data.la_code, "trust_id": data.trust.id if data.trust else None}
    await upsert_rows(session, School, [row], key=("urn",), replace=("la_code", "trust_id"))
