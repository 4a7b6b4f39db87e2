"""Who may submit, read, decide and withdraw families' requests (api.md Part 2).

A parent acts only for their own child (a contact with parental responsibility and their email):
any other child, and any request about one, is 404, as its existence is private. A school's MIS
and staff act for their schools, a trust officer for its trust's; the LA officer reads its schools'
queues.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.audit import note_pupil
from attendance_common.auth import Principal, Role
from attendance_common.errors import Forbidden, NotFound
from registers import access
from registers.models import AbsenceReport, LeaveRequest, Pupil, School

# A trust officer acts as school staff for its trust's schools (api.md "Roles added").
SUBMITTERS = (Role.ADMIN, Role.MIS, Role.SCHOOL_STAFF, Role.TRUST_OFFICER, Role.PARENT)
REPORT_DECIDERS = (Role.ADMIN, Role.MIS, Role.SCHOOL_STAFF, Role.TRUST_OFFICER)
# Regulation 11: a person the school authorises.
LEAVE_DECIDERS = (Role.ADMIN, Role.SCHOOL_STAFF, Role.TRUST_OFFICER)
WITHDRAWERS = (Role.ADMIN, Role.MIS, Role.SCHOOL_STAFF, Role.TRUST_OFFICER, Role.PARENT)

Request = TypeVar("Request", AbsenceReport, LeaveRequest)


def _check_role(principal: Principal, roles: tuple[Role, ...], action: str) -> None:
    if principal.role not in roles:
        raise Forbidden("forbidden_role", f"role {principal.role} may not {action}")


async def _school_to_act_for(session: AsyncSession, principal: Principal, urn: str) -> School:
    """The school, for its MIS and staff (the schools their token names), its trust's officer, or an
    admin; a parent is checked by the child instead."""
    if principal.role in (Role.MIS, Role.SCHOOL_STAFF) and urn not in principal.schools:
        raise Forbidden("forbidden_school", f"this token may not act for school {urn}")
    school = await access.get_school(session, urn)
    if principal.role is Role.TRUST_OFFICER and not principal.can_read_school(
        urn, school.la_code, school.trust_id
    ):
        raise Forbidden("forbidden_school", f"this token may not act for school {urn}")
    return school


async def pupil_to_submit_for(
    session: AsyncSession, principal: Principal, urn: str, upn: str
) -> tuple[School, Pupil]:
    """The school and pupil a request is about: the parent's own child, or a pupil of the caller's
    school."""
    _check_role(principal, SUBMITTERS, "submit absence reports or leave requests")
    if principal.role is Role.PARENT:
        return await access.pupil_for_read(session, principal, urn, upn)
    school = await _school_to_act_for(session, principal, urn)
    return school, await access.get_pupil(session, school, upn)


async def school_to_list(session: AsyncSession, principal: Principal, urn: str) -> School:
    """A school's queue: its MIS and staff, its LA's officer, admins."""
    return await access.school_for_read(session, principal, urn)


async def pupil_to_list(
    session: AsyncSession, principal: Principal, urn: str, upn: str
) -> tuple[School, Pupil]:
    """One pupil's requests: the school's readers, and the child's parents."""
    if principal.role is Role.SOCIAL_WORKER:
        raise Forbidden("forbidden_role", "families' requests are read by the school, its LA and the family")
    return await access.pupil_for_read(session, principal, urn, upn)


async def to_decide(
    session: AsyncSession, principal: Principal, urn: str, model: type[Request], request_id: str
) -> tuple[School, Request]:
    """A request to decide: reports by the school's staff or MIS, leave by its staff (and admins)."""
    roles = LEAVE_DECIDERS if model is LeaveRequest else REPORT_DECIDERS
    _check_role(principal, roles, f"decide {_noun(model)}s")
    school = await _school_to_act_for(session, principal, urn)
    return school, await _get(session, model, urn, request_id)


async def to_withdraw(
    session: AsyncSession, principal: Principal, urn: str, model: type[Request], request_id: str
) -> tuple[School, Request]:
    """A request to withdraw: by the parent who submitted it, or by the school's staff."""
    _check_role(principal, WITHDRAWERS, f"withdraw {_noun(model)}s")
    school = await _school_to_act_for(session, principal, urn)
    request = await _get(session, model, urn, request_id)
    if principal.role is Role.PARENT:
        try:
            await access.pupil_for_read(session, principal, urn, request.upn)
        except NotFound:
            raise _unknown(model, request_id) from None
        if request.submitted_by_role != Role.PARENT or request.submitted_by_sub != principal.sub:
            raise Forbidden(
                "not_submitter", f"only the parent who submitted {_noun(model)} {request_id} may withdraw it"
            )
    return school, request


async def _get(session: AsyncSession, model: type[Request], urn: str, request_id: str) -> Request:
    found = await session.scalar(select(model).where(model.id == request_id, model.school_urn == urn))
    if found is None:
        raise _unknown(model, request_id)
    note_pupil(found.upn, found.school_urn)
    return found


def _noun(model: type[AbsenceReport | LeaveRequest]) -> str:
    return "leave request" if model is LeaveRequest else "absence report"


def _unknown(model: type[AbsenceReport | LeaveRequest], request_id: str) -> NotFound:
    code = "unknown_leave_request" if model is LeaveRequest else "unknown_absence_report"
    return NotFound(code, f"no {_noun(model)} {request_id} at this school")
