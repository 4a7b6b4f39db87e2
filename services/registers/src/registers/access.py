"""Who may touch what in registers (api.md "Auth"): scope checks that load the school or pupil."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal, Role
from attendance_common.errors import Forbidden, NotFound
from registers.models import Pupil, School
from registers.schemas import SchoolIn
from registers.schools import TRUST_COLUMNS, put_columns

_SCHOOL_READERS = (Role.ADMIN, Role.MIS, Role.SCHOOL_STAFF, Role.TRUST_OFFICER, Role.LA_OFFICER)


def ensure_can_write(principal: Principal, urn: str) -> None:
    """Only an admin, or an MIS whose token names the school, writes a school's records."""
    if not principal.can_write_school(urn):
        raise Forbidden("forbidden_school", f"this token may not write school {urn}")


async def ensure_can_put_school(
    session: AsyncSession, principal: Principal, urn: str, data: SchoolIn
) -> None:
    """A school's MIS updates its name, phase and attendance lead; registering a school and changing
    its `la_code` or `trust` are for admins (api.md "Authorisation clarified"): a school's LA and trust
    decide whose officers read its pupils' records, so an MIS must not hand them to another LA or
    trust, nor add schools to its own reach."""
    ensure_can_write(principal, urn)
    if principal.is_admin:
        return
    school = await session.get(School, urn)
    if school is None:
        raise Forbidden("admin_only", f"only an admin registers a new school ({urn})")
    if data.la_code != school.la_code:
        raise Forbidden("admin_only", f"only an admin moves school {urn} to another LA ({school.la_code})")
    columns = put_columns(data)
    if any(column in columns and columns[column] != getattr(school, column) for column in TRUST_COLUMNS):
        raise Forbidden("admin_only", f"only an admin changes the trust of school {urn}")


async def school_for_write(session: AsyncSession, principal: Principal, urn: str) -> School:
    ensure_can_write(principal, urn)
    return await get_school(session, urn)


async def get_school(session: AsyncSession, urn: str) -> School:
    school = await session.get(School, urn)
    if school is None:
        raise NotFound("unknown_school", f"no school with URN {urn}: PUT /v1/schools/{urn} first")
    return school


async def school_for_read(session: AsyncSession, principal: Principal, urn: str) -> School:
    """Whole-school and pupil-level reads: admin, the school's MIS and staff, its trust's and its
    LA's officers. Never a governor: governors read aggregates only (`school_for_aggregates`)."""
    if principal.role not in _SCHOOL_READERS:
        raise Forbidden("forbidden_role", f"role {principal.role} cannot read whole-school data")
    if principal.role in (Role.MIS, Role.SCHOOL_STAFF) and urn not in principal.schools:
        raise Forbidden("forbidden_school", f"this token may not read school {urn}")
    school = await get_school(session, urn)
    if not principal.can_read_school(urn, school.la_code, school.trust_id):
        raise Forbidden("forbidden_school", f"this token may not read school {urn}")
    return school


async def school_for_aggregates(session: AsyncSession, principal: Principal, urn: str) -> School:
    """Aggregate figures of a school (its summary): the school's readers and its governors, whose
    small groups the caller suppresses (summaries.for_governor)."""
    if principal.role is not Role.GOVERNOR:
        return await school_for_read(session, principal, urn)
    if urn not in principal.schools:
        raise Forbidden("forbidden_school", f"this token may not read school {urn}")
    return await get_school(session, urn)


def schools_in_scope(principal: Principal) -> list[ColumnElement[bool]]:
    """The conditions on `School` for the schools the caller may read the records of (api.md
    "Reading back the roll"): every one for an admin, its own for an MIS, staff and governors, its
    LA's for an LA officer, its trust's for a trust officer. Parents and social workers: 403."""
    if principal.is_admin:
        return []
    if principal.role in (Role.MIS, Role.SCHOOL_STAFF, Role.GOVERNOR):
        return [School.urn.in_(sorted(principal.schools))]
    if principal.role is Role.LA_OFFICER:
        return [School.la_code == principal.la]
    if principal.role is Role.TRUST_OFFICER:
        return [School.trust_id == principal.trust]
    raise Forbidden("forbidden_role", f"role {principal.role} cannot list schools")


async def get_pupil(session: AsyncSession, school: School, upn: str) -> Pupil:
    pupil = await session.scalar(select(Pupil).where(Pupil.school_urn == school.urn, Pupil.upn == upn))
    if pupil is None:
        raise NotFound("unknown_pupil", f"no pupil {upn} at school {school.urn}")
    return pupil


async def pupil_for_read(
    session: AsyncSession, principal: Principal, urn: str, upn: str
) -> tuple[School, Pupil]:
    """One pupil's records: school readers, the pupil's social worker, a parent with responsibility.

    For a social worker or parent, a pupil who is not theirs is 404: its existence is private.
    """
    if principal.role in (Role.SOCIAL_WORKER, Role.PARENT):
        school = await session.get(School, urn)
        pupil = await session.scalar(select(Pupil).where(Pupil.school_urn == urn, Pupil.upn == upn))
        if school is None or pupil is None or not _is_theirs(principal, pupil):
            raise NotFound("unknown_pupil", f"no pupil {upn} at school {urn}")
        return school, pupil
    school = await school_for_read(session, principal, urn)
    return school, await get_pupil(session, school, upn)


def _is_theirs(principal: Principal, pupil: Pupil) -> bool:
    email = principal.email
    if not email:
        return False
    if principal.role == Role.SOCIAL_WORKER:
        worker = pupil.social_worker or {}
        return (worker.get("email") or "").lower() == email
    return any(
        contact.get("parental_responsibility") and (contact.get("email") or "").lower() == email
        for contact in pupil.contacts
    )


_PUPIL_LIST_READERS = (Role.ADMIN, Role.SCHOOL_STAFF, Role.TRUST_OFFICER, Role.LA_OFFICER)


async def school_for_pupil_list(session: AsyncSession, principal: Principal, urn: str) -> School:
    """A school's pupils who need support: its staff, its trust's and LA's officers, admins (api.md
    "Finding pupils who need support"); not its MIS, which writes registers rather than reads lists."""
    if principal.role not in _PUPIL_LIST_READERS:
        raise Forbidden("forbidden_role", f"role {principal.role} cannot list a school's pupils")
    return await school_for_read(session, principal, urn)


def ensure_can_read_la(principal: Principal, la_code: str) -> None:
    """Every school of an LA at once: that LA's officers and admins."""
    if principal.is_admin:
        return
    if principal.role is not Role.LA_OFFICER:
        raise Forbidden("forbidden_role", f"role {principal.role} cannot list an LA's pupils")
    if principal.la != la_code:
        raise Forbidden("forbidden_la", f"this token may not read LA {la_code}")
