"""Who may see and act on which cases (api.md "Auth"): staff of any school in the family, the LA
officer of any of those schools' LA, and admins. Other roles are refused; an out-of-scope case is 404."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal, Role
from attendance_common.errors import Forbidden, NotFound
from casework.models import Case, CasePupil, Pupil

CASEWORKERS = (Role.ADMIN, Role.SCHOOL_STAFF, Role.LA_OFFICER)


def check_role(principal: Principal) -> None:
    if principal.role not in CASEWORKERS:
        raise Forbidden("forbidden_role", f"role {principal.role} cannot read or act on cases")


def scoped(query: Select[Any], principal: Principal) -> Select[Any]:
    """Only the cases this principal may see: one of the family's pupils is in its scope."""
    check_role(principal)
    mine: ColumnElement[bool]
    if principal.role == Role.SCHOOL_STAFF:
        mine = CasePupil.school_urn.in_(sorted(principal.schools))
    elif principal.role == Role.LA_OFFICER:
        mine = CasePupil.la_code == principal.la
    else:
        return query
    return query.where(exists().where(CasePupil.case_id == Case.id, mine))


def may_act_on(principal: Principal, pupil: Pupil) -> bool:
    return principal.can_read_school(pupil.school_urn, pupil.la_code) and principal.role in CASEWORKERS


async def get_case(session: AsyncSession, principal: Principal, case_id: str) -> Case:
    """The case, or 404 when it does not exist or is outside the caller's scope."""
    case = await session.scalar(scoped(select(Case), principal).where(Case.id == case_id))
    if case is None:
        raise NotFound("unknown_case", f"no case {case_id}")
    return case
