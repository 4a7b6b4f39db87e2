"""Development tokens: the known secret, minting, and `attendance-token` (what `make token` runs).

Kept apart from `auth` (FastAPI, SQLAlchemy) and importing only PyJWT, so the command answers at
once. `auth.tokens` verifies what this mints; a test mints for every role and verifies each.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

# Known to everyone, so production settings refuse it; >= 32 bytes for HS256.
DEVELOPMENT_JWT_SECRET = "dev-only-attendance-secret-change-me-0123456789"

# The longest a token may live (`exp - iat`) unless the settings say otherwise: a stolen token is
# useful for an hour at most.
DEFAULT_MAX_LIFETIME_SECONDS = 3600


@dataclass(frozen=True)
class ScopeClaim:
    """A claim that scopes a role, and how a person gives it."""

    claim: str
    flag: str
    make_variable: str  # what `make token` takes it from
    example: str
    repeatable: bool = False


SCHOOLS = ScopeClaim("schools", "--school", "SCHOOL", "100001", repeatable=True)
LA = ScopeClaim("la", "--la", "LA", "380")
EMAIL = ScopeClaim("email", "--email", "EMAIL", "ada@example.com")

# Every role of api.md "Auth" and the claim its scope needs: a new role is one line here (a test
# keeps this in step with auth.principal.Role).
ROLES: dict[str, ScopeClaim | None] = {
    "mis": SCHOOLS,
    "school_staff": SCHOOLS,
    "la_officer": LA,
    "social_worker": EMAIL,
    "parent": EMAIL,
    "admin": None,
}
SCOPE_CLAIMS = tuple({scope.claim: scope for scope in ROLES.values() if scope is not None}.values())


def mint_token(
    *,
    secret: str,
    sub: str,
    role: str,
    schools: Iterable[str] | None = None,
    la: str | None = None,
    email: str | None = None,
    name: str | None = None,
    ttl_seconds: int = DEFAULT_MAX_LIFETIME_SECONDS,
    now: datetime | None = None,
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    """Sign an HS256 token for development and tests; it does not check role claims."""
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": sub,
        "role": str(role),
        "iat": issued,
        "exp": issued + timedelta(seconds=ttl_seconds),
    }
    optional = {
        "iss": issuer,
        "aud": audience,
        "schools": list(schools) if schools is not None else None,
        "la": la,
        "email": email,
        "name": name,
    }
    claims.update({key: value for key, value in optional.items() if value is not None})
    return jwt.encode(claims, secret, algorithm="HS256")


def describe_roles() -> str:
    """`mis (SCHOOL=), ..., admin`: every role, with what `make token` needs for it."""
    return ", ".join(f"{role} ({scope.make_variable}=)" if scope else role for role, scope in ROLES.items())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attendance-token",
        description=f"Mint a development JWT for the attendance services. Roles: {describe_roles()}.",
    )
    parser.add_argument("--role", required=True, metavar="ROLE", help="one of the roles above")
    parser.add_argument("--sub", help="subject claim (default: dev-<role>)")
    for scope in SCOPE_CLAIMS:
        parser.add_argument(
            scope.flag,
            dest=scope.claim,
            action="append" if scope.repeatable else "store",
            metavar=scope.make_variable,
            help=f"e.g. {scope.example}" + (" (repeat for more)" if scope.repeatable else ""),
        )
    parser.add_argument("--name", help="recorded in audit trails")
    parser.add_argument(
        "--ttl",
        type=int,
        help="seconds until expiry (default and most: $ATTENDANCE_JWT_MAX_LIFETIME_SECONDS, else 3600)",
    )
    parser.add_argument(
        "--secret", help="HS256 secret (default: $ATTENDANCE_JWT_SECRET, else the development one)"
    )
    parser.add_argument("--issuer", help="the 'iss' claim (default: $ATTENDANCE_JWT_ISSUER, if set)")
    parser.add_argument("--audience", help="the 'aud' claim (default: $ATTENDANCE_JWT_AUDIENCE, if set)")
    return parser


def _missing_scope(role: str, scope: ScopeClaim) -> str:
    return (
        f"role {role} needs {scope.make_variable}= "
        f"(make token ROLE={role} {scope.make_variable}={scope.example}; "
        f"attendance-token --role {role} {scope.flag} {scope.example})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Mint a token from the command line and print it to stdout."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.role not in ROLES:
        parser.error(f"unknown role {args.role!r}: the roles are {describe_roles()}")
    # A command is outside the services' settings, so it reads the environment itself; it uses
    # the variables the services verify with.
    longest = int(os.environ.get("ATTENDANCE_JWT_MAX_LIFETIME_SECONDS") or DEFAULT_MAX_LIFETIME_SECONDS)
    ttl = longest if args.ttl is None else args.ttl
    if ttl <= 0:
        parser.error("--ttl must be positive")
    if ttl > longest:
        parser.error(
            f"--ttl {ttl} is longer than the {longest} s allowed (ATTENDANCE_JWT_MAX_LIFETIME_SECONDS)"
        )
    scope = ROLES[args.role]
    given = None if scope is None else getattr(args, scope.claim)
    if scope is not None and (not given or (scope is EMAIL and "@" not in given)):
        parser.error(_missing_scope(args.role, scope))
    secret = args.secret or os.environ.get("ATTENDANCE_JWT_SECRET") or DEVELOPMENT_JWT_SECRET
    token = mint_token(
        secret=secret,
        sub=args.sub or f"dev-{args.role}",
        role=args.role,
        name=args.name,
        ttl_seconds=ttl,
        issuer=args.issuer or os.environ.get("ATTENDANCE_JWT_ISSUER") or None,
        audience=args.audience or os.environ.get("ATTENDANCE_JWT_AUDIENCE") or None,
        **{each.claim: getattr(args, each.claim) for each in SCOPE_CLAIMS if getattr(args, each.claim)},
    )
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
