"""attendance-token: print a signed development token."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from attendance_common.errors import Unauthorized

from .principal import Role
from .tokens import DEVELOPMENT_JWT_SECRET, decode_token, mint_token


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attendance-token",
        description="Mint a development JWT for the attendance services.",
    )
    parser.add_argument("--role", required=True, choices=[role.value for role in Role])
    parser.add_argument("--sub", help="subject claim (default: dev-<role>)")
    parser.add_argument(
        "--school", dest="schools", action="append", metavar="URN", help="repeat for each school"
    )
    parser.add_argument("--la", help="local authority code, for la_officer")
    parser.add_argument("--trust", help="trust id, for trust_officer")
    parser.add_argument("--email", help="for social_worker and parent")
    parser.add_argument("--name", help="recorded in audit trails")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until expiry")
    parser.add_argument(
        "--secret", help="HS256 secret (default: $ATTENDANCE_JWT_SECRET, else the development one)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Mint a token from the command line and print it to stdout."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.ttl <= 0:
        parser.error("--ttl must be positive")
    # A CLI entry point is outside the services' settings, so it may read the
    # environment itself; it uses the same variable the services verify with.
    secret = args.secret or os.environ.get("ATTENDANCE_JWT_SECRET") or DEVELOPMENT_JWT_SECRET
    token = mint_token(
        secret=secret,
        sub=args.sub or f"dev-{args.role}",
        role=args.role,
        schools=args.schools,
        la=args.la,
        trust=args.trust,
        email=args.email,
        name=args.name,
        ttl_seconds=args.ttl,
    )
    # Verify before printing, so a token the services would refuse is never handed out.
    try:
        decode_token(token, secret=secret)
    except Unauthorized as exc:
        parser.error(exc.detail)
    print(token)
    return 0
