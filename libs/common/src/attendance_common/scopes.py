"""The scopes alerts' rules and notifications' routing are set at (`default`, `la:{code}`,
`school:{urn}`), and who may read or change each (api.md "Alerts", "Authorisation clarified").

One copy for both services, so a school's or an LA officer's reach is the same in both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from attendance_common.auth import Principal, Role
from attendance_common.errors import Forbidden, Unprocessable

# Matched whole (fullmatch): `la:380x`, `school:1000011` and a trailing newline are not scopes.
_SCOPE = re.compile(r"default|la:[0-9]{3}|school:[0-9]{6}")
_SETTERS = (Role.ADMIN, Role.SCHOOL_STAFF, Role.TRUST_OFFICER, Role.LA_OFFICER)


def checked(scope: str) -> str:
    """The scope, or 422 `bad_scope`."""
    if not _SCOPE.fullmatch(scope):
        raise Unprocessable("bad_scope", "scope must be default, la:{3-digit code} or school:{6-digit URN}")
    return scope


def school_of(scope: str) -> str | None:
    """The URN of a `school:` scope, else None."""
    return scope.removeprefix("school:") if scope.startswith("school:") else None


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
