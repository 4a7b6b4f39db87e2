"""Verify bearer tokens (HS256 with a shared secret, or an identity provider's key) and mint HS256 ones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from attendance_common.errors import Unauthorized

from .principal import Principal, Role

# Known to everyone, so production settings refuse it; >= 32 bytes for HS256.
DEVELOPMENT_JWT_SECRET = "dev-only-attendance-secret-change-me-0123456789"

_SCHOOL_ROLES = (Role.MIS, Role.SCHOOL_STAFF, Role.GOVERNOR)
_EMAIL_ROLES = (Role.SOCIAL_WORKER, Role.PARENT)


def _invalid(reason: str) -> Unauthorized:
    return Unauthorized("invalid_token", f"The bearer token is not valid: {reason}.")


def _verify(
    token: str,
    key: Any,
    algorithms: Sequence[str],
    leeway: float,
    audience: str | None,
    issuer: str | None,
) -> dict[str, Any]:
    """Check signature and registered claims; map PyJWT errors to 401 problems."""
    try:
        return jwt.decode(
            token,
            key,
            algorithms=list(algorithms),
            leeway=leeway,
            audience=audience,
            issuer=issuer,
            options={"require": ["sub", "role", "exp"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token_expired", "The bearer token has expired.") from exc
    except jwt.InvalidSignatureError as exc:
        raise _invalid("the signature does not verify") from exc
    except jwt.InvalidAudienceError as exc:
        raise _invalid("the audience ('aud') is not this service") from exc
    except jwt.InvalidIssuerError as exc:
        raise _invalid("the issuer ('iss') is not the trusted identity provider") from exc
    except jwt.InvalidAlgorithmError as exc:
        raise _invalid(f"the algorithm is not one of {', '.join(algorithms)}") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise _invalid(f"the {exc.claim!r} claim is missing") from exc
    except jwt.DecodeError as exc:
        raise _invalid(f"it is not a well-formed JWT ({exc})") from exc
    except jwt.InvalidTokenError as exc:
        raise _invalid(str(exc) or type(exc).__name__) from exc


def _optional_str(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _invalid(f"the {name!r} claim must be a non-empty string")
    return value


def _schools(claims: dict[str, Any]) -> frozenset[str]:
    value = claims.get("schools")
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(urn, str) and urn.strip() for urn in value)
    ):
        raise _invalid("role needs 'schools', a non-empty list of URN strings")
    return frozenset(value)


def decode_token(
    token: str,
    *,
    secret: Any,
    algorithms: Sequence[str] = ("HS256",),
    leeway: float = 10,
    audience: str | None = None,
    issuer: str | None = None,
) -> Principal:
    """Verify a bearer token and return its principal, or raise Unauthorized.

    `secret` is the HS256 secret, or the public key (PyJWK or cryptography key) for RS256/ES256.
    """
    # An unsigned token must never verify, whatever a caller passes in.
    if not algorithms or any(alg.lower() == "none" for alg in algorithms):
        raise ValueError("algorithms must list signing algorithms, never 'none'")
    claims = _verify(token, secret, algorithms, leeway, audience, issuer)
    return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """The principal named by verified claims, or Unauthorized when the role's scope claims are wrong."""
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub.strip():
        raise _invalid("the 'sub' claim must be a non-empty string")
    try:
        role = Role(claims["role"])
    except ValueError:
        raise _invalid(f"unknown role {claims['role']!r}") from None

    la = _optional_str(claims, "la")
    trust = _optional_str(claims, "trust")
    email = _optional_str(claims, "email")
    name = _optional_str(claims, "name")
    # Only school roles are scoped by the list; ignore it elsewhere so it grants nothing.
    schools = _schools(claims) if role in _SCHOOL_ROLES else frozenset[str]()
    if role is Role.LA_OFFICER and la is None:
        raise _invalid("role 'la_officer' needs the 'la' claim")
    if role is Role.TRUST_OFFICER and trust is None:
        raise _invalid("role 'trust_officer' needs the 'trust' claim")
    if role in _EMAIL_ROLES and (email is None or "@" not in email):
        raise _invalid(f"role {role.value!r} needs an 'email' claim")
    return Principal(sub=sub, role=role, schools=schools, la=la, trust=trust, email=email, name=name)


def mint_token(
    *,
    secret: str,
    sub: str,
    role: Role | str,
    schools: Iterable[str] | None = None,
    la: str | None = None,
    trust: str | None = None,
    email: str | None = None,
    name: str | None = None,
    ttl_seconds: int = 3600,
    now: datetime | None = None,
) -> str:
    """Sign a token for development and tests; it does not check role claims."""
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": sub,
        "role": str(role),
        "iat": issued,
        "exp": issued + timedelta(seconds=ttl_seconds),
    }
    optional = {
        "schools": list(schools) if schools is not None else None,
        "la": la,
        "trust": trust,
        "email": email,
        "name": name,
    }
    claims.update({key: value for key, value in optional.items() if value is not None})
    return jwt.encode(claims, secret, algorithm="HS256")
