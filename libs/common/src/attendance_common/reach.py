"""Which schools' rows a caller reaches in a list (api.md "Auth"): the same rule in every service
that lists rows of many schools. A school's staff reach their schools, an LA officer the LA's, a
trust officer the trust's (as the service's projection of schools knows them); the services say
what other roles see.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, select

from attendance_common.auth import Principal, Role
from attendance_common.errors import Forbidden
from attendance_common.projections import SchoolProjection

T = TypeVar("T", bound=tuple[object, ...])


def ensure_role(principal: Principal, roles: Collection[Role], what: str) -> None:
    """403 `forbidden_role` for a role not among `roles`, those that read `what`."""
    if principal.role not in roles:
        raise Forbidden("forbidden_role", f"role {principal.role} cannot read {what}")


def school_reach(
    principal: Principal,
    school_urn: SQLColumnExpression[str],
    la_code: SQLColumnExpression[str | None],
    schools: type[SchoolProjection],
) -> ColumnElement[bool] | None:
    """The condition on a row's `school_urn` and `la_code` columns that the caller's rows meet: a
    school's staff, an LA officer and a trust officer (the trust's schools in `schools`); None for
    any other role, whom the service limits (or not) itself."""
    if principal.role == Role.SCHOOL_STAFF:
        return school_urn.in_(sorted(principal.schools))
    if principal.role == Role.LA_OFFICER:
        return la_code == principal.la
    if principal.role == Role.TRUST_OFFICER:
        return school_urn.in_(select(schools.urn).where(schools.trust_id == principal.trust))
    return None


def ensure_named_school(principal: Principal, school: str) -> None:
    """403 `forbidden_school` for a school's staff filtering a list by another school."""
    if principal.role == Role.SCHOOL_STAFF and school not in principal.schools:
        raise Forbidden("forbidden_school", f"this token may not read school {school}")


def school_and_upn(
    query: Select[T],
    principal: Principal,
    columns: tuple[SQLColumnExpression[str], SQLColumnExpression[str]],
    school: str | None,
    upn: str | None,
) -> Select[T]:
    """A list's `school` and `upn` filters on its (school URN, UPN) `columns`; a school's staff may
    name only their own schools."""
    if school:
        ensure_named_school(principal, school)
        query = query.where(columns[0] == school)
    if upn:
        query = query.where(columns[1] == upn.strip().upper())
    return query
