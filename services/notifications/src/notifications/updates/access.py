"""Who may send a school's attendance updates and set its schedule (api.md "Keeping parents
informed"): its staff, its trust's officer and admins; the LA officer of its LA may read the
schedule. A school outside the caller's scope is 403 `forbidden_school`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal, Role
from attendance_common.errors import Forbidden, NotFound
from notifications.models import School

_SENDERS = (Role.ADMIN, Role.SCHOOL_STAFF, Role.TRUST_OFFICER)
_READERS = (*_SENDERS, Role.LA_OFFICER)


async def school_for(session: AsyncSession, principal: Principal, urn: str, *, write: bool) -> School:
    """The school, if the caller may send its updates (`write`) or read its schedule; else 403
    (`forbidden_role`, `forbidden_school`) or 404 `unknown_school` (not heard of from registers)."""
    allowed = _SENDERS if write else _READERS
    if principal.role not in allowed:
        what = "send attendance updates" if write else "read attendance update schedules"
        raise Forbidden("forbidden_role", f"role {principal.role} may not {what}")
    school = await session.scalar(select(School).where(School.urn == urn))
    la_code, trust_id = (school.la_code, school.trust_id) if school else (None, None)
    if not principal.can_read_school(urn, la_code, trust_id):
        raise Forbidden("forbidden_school", f"this token may not act for school {urn}")
    if school is None:
        raise NotFound("unknown_school", f"no school {urn} is known to notifications")
    return school
