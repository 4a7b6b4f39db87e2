"""Settings per scope: alerts' rules and notifications' routing are set at `default`, `la:{code}` or
`school:{urn}`, the most specific applying (api.md "Alerts", "Notifications", "Authorisation
clarified"). Who may read or change each scope, which scopes apply at a school, and the stored rows.

One module for both services, so a school's, an LA officer's or an admin's reach is the same in both:
an LA officer reads and changes its `la:` scope and its LA's schools' scopes, never `default`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import JSON, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from attendance_common.auth import Principal, Role
from attendance_common.clock import now_utc
from attendance_common.db import UtcDateTime
from attendance_common.errors import Forbidden, Unprocessable

# Matched whole (fullmatch): `la:380x`, `school:1000011` and a trailing newline are not scopes.
_SCOPE = re.compile(r"default|la:[0-9]{3}|school:[0-9]{6}")
_SETTERS = (Role.ADMIN, Role.SCHOOL_STAFF, Role.TRUST_OFFICER, Role.LA_OFFICER)
Settings = dict[str, Any]
T = TypeVar("T")


class ScopedSettingsRow:
    """The columns of a table of settings per scope (a declarative mixin)."""

    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    settings: Mapped[Settings] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


def checked(scope: str) -> str:
    """The scope, or 422 `bad_scope`."""
    if not _SCOPE.fullmatch(scope):
        raise Unprocessable("bad_scope", "scope must be default, la:{3-digit code} or school:{6-digit URN}")
    return scope


def school_of(scope: str) -> str | None:
    """The URN of a `school:` scope, else None."""
    return scope.removeprefix("school:") if scope.startswith("school:") else None


def la_of(scope: str, school_la: str | None) -> str | None:
    """The LA whose settings apply at `scope`: an `la:` scope's own, a school's LA, else None."""
    return scope.removeprefix("la:") if scope.startswith("la:") else school_la


def applying(school_urn: str, la_code: str | None) -> tuple[str, ...]:
    """The scopes whose settings apply at a school of this LA, least specific first: the last wins."""
    return (
        "default",
        *([f"la:{la_code}"] if la_code else ()),
        *([f"school:{school_urn}"] if school_urn else ()),
    )


def in_force(stored: Mapping[str, T], school_urn: str, la_code: str | None) -> dict[str, T]:
    """The stored settings that apply at a school of this LA, least specific first."""
    return {scope: stored[scope] for scope in applying(school_urn, la_code) if scope in stored}


def shown_without_school(stored: Mapping[str, T], principal: Principal) -> dict[str, T]:
    """Other schools' and LAs' overrides are theirs to see: the `default` scope for all but admins."""
    return dict(stored) if principal.is_admin else {k: v for k, v in stored.items() if k == "default"}


def ensure_may_write(
    principal: Principal, scope: str, school_la: str | None, settings: str, school_trust: str | None = None
) -> None:
    """Admins any scope; an LA officer its `la:` scope and its LA's schools; school staff their own
    schools, a trust officer its trust's (`school_la`, `school_trust`: the LA and trust of a
    `school:` scope's school, None if unknown). Else 403."""
    urn = school_of(scope)
    if principal.is_admin or (principal.role is Role.LA_OFFICER and scope == f"la:{principal.la}"):
        return
    if (
        urn is not None
        and principal.role in _SETTERS
        and principal.can_read_school(urn, school_la, school_trust)
    ):
        return
    raise Forbidden("forbidden_scope", f"this token may not change the {settings} of {scope}")


def ensure_may_read_school(
    principal: Principal, urn: str, school_la: str | None, settings: str, school_trust: str | None = None
) -> None:
    """A school's overrides are for its staff, its trust's and LA's officers and admins: 403
    `forbidden_school`."""
    if principal.role in _SETTERS and principal.can_read_school(urn, school_la, school_trust):
        return
    raise Forbidden("forbidden_school", f"this token may not read the {settings} of school {urn}")


def ensure_statutory_kept(scope: str, switched_off: Iterable[str]) -> None:
    """Statutory triggers (first-day absence, a social worker's pupil absent, the LA's deletion notice)
    are never switched off for one school: the LA may for its schools at `la:{code}`, an admin at
    `la:` or `default`. 403 `statutory_trigger`, whoever asks: the school's staff never may, and
    an LA officer or admin is pointed at the scope where they may."""
    off = sorted(switched_off)
    if off and school_of(scope) is not None:
        raise Forbidden(
            "statutory_trigger",
            f"{', '.join(off)} cannot be switched off at {scope}: statutory duties, "
            "which only the LA may switch off for its schools (la:{code}) or an admin",
        )


async def school_place(
    session: AsyncSession, schools: type[Any], urn: str | None
) -> tuple[str | None, str | None]:
    """The LA and trust of a school the service has heard of (`schools`: its table of urn, la_code
    and trust_id); (None, None) otherwise."""
    if not urn:
        return None, None
    row = (await session.execute(select(schools.la_code, schools.trust_id).where(schools.urn == urn))).first()
    return (row.la_code, row.trust_id) if row else (None, None)


async def writable(
    session: AsyncSession, principal: Principal, scope: str, schools: type[Any], settings: str
) -> str | None:
    """Check the scope (422 `bad_scope`) and that the caller may change it (403); answers the LA of
    a `school:` scope's school (None for the others, or a school not heard of)."""
    school_la_code, school_trust = await school_place(session, schools, school_of(checked(scope)))
    ensure_may_write(principal, scope, school_la_code, settings, school_trust)
    return school_la_code


async def readable_school(
    session: AsyncSession, principal: Principal, schools: type[Any], urn: str, settings: str
) -> str | None:
    """The LA of a school whose overrides the caller may read (403 `forbidden_school` otherwise)."""
    school_la, school_trust = await school_place(session, schools, urn)
    ensure_may_read_school(principal, urn, school_la, settings, school_trust)
    return school_la


async def stored_settings(session: AsyncSession, table: type[ScopedSettingsRow]) -> dict[str, Settings]:
    """Every stored scope's settings."""
    return {row.scope: row.settings for row in await session.scalars(select(table))}


@dataclass(frozen=True)
class InForce:
    """What a GET or PUT of scoped settings answers about: the scope, the school ("" for none) and
    LA whose settings apply there, every stored scope's settings, and the stored scopes shown."""

    scope: str
    urn: str
    la_code: str | None
    stored: dict[str, Settings]
    shown: dict[str, Settings]

    @classmethod
    def at(cls, scope: str, urn: str, la_code: str | None, stored: dict[str, Settings]) -> InForce:
        """At a scope of this school and LA: the stored scopes that apply there are shown."""
        return cls(scope, urn, la_code, stored, in_force(stored, urn, la_code))


async def read_in_force(
    session: AsyncSession,
    principal: Principal,
    table: type[ScopedSettingsRow],
    school: str | None,
    school_la: Callable[[str], Awaitable[str | None]],
) -> InForce:
    """The settings at `school` (`school_la`: its LA, once the caller may read its overrides), or
    at `default` without one."""
    stored = await stored_settings(session, table)
    if school is None:
        return InForce("default", "", None, stored, shown_without_school(stored, principal))
    return InForce.at(f"school:{school}", school, await school_la(school), stored)


async def put_settings(
    session: AsyncSession,
    table: type[ScopedSettingsRow],
    scope: str,
    settings: Settings,
    by: str,
    school_la: str | None,
) -> tuple[InForce, bool]:
    """Store a scope's settings, replacing any; answers them in force at that scope (`school_la`:
    the LA of a `school:` scope's school, as `writable` answered), and whether the scope was new
    (a PUT's 201)."""
    row = await session.get(table, scope)
    created = row is None
    if row is None:
        row = table()
        row.scope = scope
        session.add(row)
    row.settings, row.updated_at, row.updated_by = settings, now_utc(), by
    others = {r.scope: r.settings for r in await session.scalars(select(table)) if r.scope != scope}
    stored = {**others, scope: settings}
    return InForce.at(scope, school_of(scope) or "", la_of(scope, school_la), stored), created
