"""Who may see and act on which cases (api.md "Auth", "Authorisation clarified"): staff of any school
in the family (a trust officer being staff of its trust's schools), the LA officer of any of those
schools' LA, and admins read and support a case; a write that names one pupil is for that pupil's
school, trust and LA only. Other roles are refused; an out-of-scope case is 404."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal, Role
from attendance_common.errors import Forbidden, NotFound
from attendance_common.reach import school_reach
from casework.models import Case, CasePupil, Pupil, School

CASEWORKERS = (Role.ADMIN, Role.SCHOOL_STAFF, Role.TRUST_OFFICER, Role.LA_OFFICER)


def check_role(principal: Principal) -> None:
    if principal.role not in CASEWORKERS:
        raise Forbidden("forbidden_role", f"role {principal.role} cannot read or act on cases")


def scoped(query: Select[Any], principal: Principal) -> Select[Any]:
    """Only the cases this principal may see: one of the family's pupils is in its scope."""
    check_role(principal)
    mine = school_reach(principal, CasePupil.school_urn, CasePupil.la_code, School)
    if mine is None:
        return query
    return query.where(exists().where(CasePupil.case_id == Case.id, mine))


async def may_act_on(session: AsyncSession, principal: Principal, pupil: Pupil) -> bool:
    if principal.role not in CASEWORKERS:
        return False
    trust_id = None
    if principal.role == Role.TRUST_OFFICER:  # the only role whose reach needs the school's trust
        trust_id = await session.scalar(select(School.trust_id).where(School.urn == pupil.school_urn))
    return principal.can_read_school(pupil.school_urn, pupil.la_code, trust_id)


async def pupil_to_name(
    session: AsyncSession, principal: Principal, enrolments: Iterable[Pupil], upn: str
) -> Pupil:
    """The enrolment of the named pupil that the caller acts for, or 403 `forbidden_school`.

    Seeing a family's case lets a sibling's school or LA support it, not take a legal action
    against a parent about a child at another school in another LA: that is for the child's own
    school staff or trust officer, the child's LA officer or an admin. A dual-registered pupil has
    an enrolment per school, and either school's staff may name them.
    """
    for pupil in enrolments:
        if await may_act_on(session, principal, pupil):
            return pupil
    raise Forbidden(
        "forbidden_school",
        f"only pupil {upn}'s school staff, the officer of that school's LA or an admin may do this",
    )


async def get_case(session: AsyncSession, principal: Principal, case_id: str) -> Case:
    """The case, or 404 when it does not exist or is outside the caller's scope."""
    case = await session.scalar(scoped(select(Case), principal).where(Case.id == case_id))
    if case is None:
        raise NotFound("unknown_case", f"no case {case_id}")
    return case
