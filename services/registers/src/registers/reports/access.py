"""A report's scope (`school:{urn}`, `trust:{id}`, `la:{code}`) and who may read it.

Readers (api.md): governors (their schools), school staff, trust officers, the LA officer and admins;
never an MIS, a social worker or a parent. A school is in reach as for its summary
(Principal.can_read_aggregates). A trust or an LA is in reach of its own officer, and of anyone who
reaches every one of its schools: the trustees of a trust, who sit as its schools' governors, read
the trust as a whole. The schools of a trust or an LA are read once here and serve the report too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal, Role
from attendance_common.errors import Forbidden, NotFound, Unprocessable
from registers.models import School

Kind = Literal["school", "trust", "la"]
READERS = (Role.ADMIN, Role.SCHOOL_STAFF, Role.TRUST_OFFICER, Role.LA_OFFICER, Role.GOVERNOR)
# Matched whole: a trust id is what TrustIn takes (no spaces, at most 40 characters).
_SCOPE = re.compile(r"school:(?P<school>[0-9]{6})|trust:(?P<trust>\S{1,40})|la:(?P<la>[0-9]{3})")


@dataclass(frozen=True)
class Scope:
    kind: Kind
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


def parse_scope(text: str) -> Scope:
    """`school:{6-digit URN}`, `trust:{id}` or `la:{3-digit code}`; 422 `unknown_scope` otherwise."""
    found = _SCOPE.fullmatch(text)
    if found is None:
        raise Unprocessable(
            "unknown_scope",
            f"scope must be school:{{URN}}, trust:{{id}} or la:{{3-digit code}}, not {text[:50]!r}",
        )
    kind, value = next((k, v) for k, v in found.groupdict().items() if v is not None)
    return Scope(kind, value)  # type: ignore[arg-type]


async def schools_in_reach(session: AsyncSession, principal: Principal, scope: Scope) -> list[School]:
    """The scope's schools, by name then URN; 403 outside the caller's reach, 404 for an unknown
    school or a trust with no school."""
    if principal.role not in READERS:
        raise Forbidden("forbidden_role", f"role {principal.role} cannot read attendance reports")
    if scope.kind == "school":
        return [await _school(session, principal, scope.value)]
    own = principal.is_admin or (
        principal.trust == scope.value if scope.kind == "trust" else principal.la == scope.value
    )
    refused = Forbidden(f"forbidden_{scope.kind}", f"this token may not read {scope}")
    if principal.role in (Role.TRUST_OFFICER, Role.LA_OFFICER) and not own:
        raise refused  # an officer reads its own trust or LA, and its schools, nothing wider
    column = School.trust_id if scope.kind == "trust" else School.la_code
    schools = list(
        await session.scalars(select(School).where(column == scope.value).order_by(School.name, School.urn))
    )
    if own:
        if scope.kind == "trust" and not schools:
            raise NotFound("unknown_trust", f"no school belongs to trust {scope.value}")
        return schools  # an LA with no school yet reports nothing
    if not schools or not all(principal.can_read_aggregates(s.urn, s.la_code, s.trust_id) for s in schools):
        raise refused
    return schools


async def _school(session: AsyncSession, principal: Principal, urn: str) -> School:
    # A token naming its schools learns nothing of another school, not even whether it exists.
    if principal.role in (Role.SCHOOL_STAFF, Role.GOVERNOR) and urn not in principal.schools:
        raise Forbidden("forbidden_school", f"this token may not read school {urn}")
    school = await session.get(School, urn)
    if school is None:
        raise NotFound("unknown_school", f"no school with URN {urn}")
    if not principal.can_read_aggregates(school.urn, school.la_code, school.trust_id):
        raise Forbidden("forbidden_school", f"this token may not read school {urn}")
    return school
