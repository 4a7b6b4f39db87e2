"""Who may see and act on which alerts and rules (api.md "Auth", "Authorisation clarified"): school
staff their schools' alerts, a trust officer its trust's schools', an LA officer its LA's, a social
worker those of the pupils whose social worker they are, admins all. Other roles are refused; an
out-of-scope alert is 404."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerts.models import Alert, Pupil, School
from attendance_common import scopes
from attendance_common.auth import Principal, Role
from attendance_common.errors import Forbidden
from attendance_common.reach import ensure_role, school_reach

_READERS = (Role.ADMIN, Role.SCHOOL_STAFF, Role.TRUST_OFFICER, Role.LA_OFFICER, Role.SOCIAL_WORKER)


def ensure_reader(principal: Principal, what: str) -> None:
    """403 `forbidden_role` for a role that reads no alerts nor rules."""
    ensure_role(principal, _READERS, what)


def scoped(query: Select[Any], principal: Principal) -> Select[Any]:
    """Only the alerts this principal may see (api.md "Auth")."""
    ensure_reader(principal, "alerts")
    mine = school_reach(principal, Alert.school_urn, Alert.la_code, School)
    if mine is not None:
        return query.where(mine)
    if principal.role == Role.SOCIAL_WORKER:
        return query.join(Pupil, Pupil.id == Alert.pupil_id).where(
            Pupil.social_worker_email == principal.email
        )
    return query


def ensure_may_acknowledge(principal: Principal) -> None:
    """Staff, trust and LA officers act on alerts; a social worker reads them (api.md "Auth")."""
    if principal.role == Role.SOCIAL_WORKER:
        raise Forbidden("forbidden_role", "a social worker may read alerts, not acknowledge them")


async def ensure_may_read_school_rules(session: AsyncSession, principal: Principal, urn: str) -> str | None:
    """A school's overrides: its staff, its trust's and LA's officers, admins, and the social worker
    of a pupil there (403 `forbidden_school`). Answers the school's LA."""
    school_la, school_trust = await scopes.school_place(session, School, urn)
    if principal.role == Role.SOCIAL_WORKER:
        theirs = await session.scalar(
            select(Pupil.id)
            .where(Pupil.school_urn == urn, Pupil.social_worker_email == principal.email)
            .limit(1)
        )
        if theirs is not None:
            return school_la
    scopes.ensure_may_read_school(principal, urn, school_la, "rules", school_trust)
    return school_la
