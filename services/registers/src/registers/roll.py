"""Reading back the roll (api.md Part 2): the schools and pupils as PUT took them, for an MIS to
check what it sent, paged by cursor."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.audit import note_pupils
from attendance_common.auth import Principal
from attendance_common.pagination import keyset_page
from registers import access
from registers.models import Pupil, School
from registers.pupils import pupil_out
from registers.schemas import PupilsOut, SchoolsOut
from registers.schools import school_out


async def list_schools(
    session: AsyncSession,
    principal: Principal,
    *,
    la_code: str | None,
    trust_id: str | None,
    limit: int,
    after: str | None,
) -> SchoolsOut:
    """The schools in the caller's scope, by URN, narrowed to an LA or a trust when asked."""
    query = select(School).where(*access.schools_in_scope(principal))
    if la_code is not None:
        query = query.where(School.la_code == la_code)
    if trust_id is not None:
        query = query.where(School.trust_id == trust_id)
    page, cursor = await keyset_page(session, query, [School.urn], limit=limit, after=after)
    return SchoolsOut(schools=[school_out(school) for school in page], next=cursor)


async def list_pupils(
    session: AsyncSession,
    school: School,
    *,
    on_roll: bool | None,
    year_group: str | None,
    limit: int,
    after: str | None,
) -> PupilsOut:
    """The school's pupils by UPN (on roll or deleted from it, unless `on_roll` says which); each
    one shown is in the audit log, as a single pupil's read is."""
    query = select(Pupil).where(Pupil.school_urn == school.urn)
    if on_roll is not None:
        query = query.where(Pupil.deleted_on.is_(None) if on_roll else Pupil.deleted_on.is_not(None))
    if year_group is not None:
        query = query.where(Pupil.year_group == year_group)
    page, cursor = await keyset_page(session, query, [Pupil.upn], limit=limit, after=after)
    note_pupils((pupil.school_urn, pupil.upn) for pupil in page)
    return PupilsOut(pupils=[pupil_out(pupil) for pupil in page], next=cursor)
