"""Verify bearer tokens (HS256 with a shared secret, or an identity provider's key).

Development tokens are minted by `attendance_common.devtoken` (light, for `make token`); its
secret and `mint_token` are re-exported here for the services and their tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jwt

from attendance_common.devtoken import DEFAULT_MAX_LIFETIME_SECONDS as DEFAULT_MAX_LIFETIME_SECONDS
from attendance_common.devtoken import DEVELOPMENT_JWT_SECRET as DEVELOPMENT_JWT_SECRET
from attendance_common.devtoken import mint_token as mint_token
from attendance_common.errors import Unauthorized

from .principal import Principal, Role

_SCHOOL_ROLES = (Role.MIS, Role.SCHOOL_STAFF)
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
    required: Sequence[str] = ("sub", "role", "exp", "iat"),
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
            options={"require": list(required)},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token_expired", "The bearer token has expired.") from exc
    except jwt.InvalidSignatureError as exc:
        raise _invalid("the signature does not verify") from exc
    except jwt.InvalidAudienceError as exc:
        raise _invalid("the audience ('aud') is not this service") from exc
    except jwt.InvalidIssuerError as exc:
        raise _invalid("the issuer ('iss') is not the one this service trusts") from exc
    except jwt.InvalidAlgorithmError as exc:
        raise _invalid(f"the algorithm is not one of {', '.join(algorithms)}") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise _invalid(f"the {exc.claim!r} claim is missing") from exc
    except jwt.ImmatureSignatureError as exc:
        raise _invalid("it was issued in the future ('iat' is later than now)") from exc
    except jwt.InvalidIssuedAtError as exc:
        raise _invalid("the 'iat' claim must be a number (seconds since 1970)") from exc
    except jwt.DecodeError as exc:
        raise _invalid(f"it is not a well-formed JWT ({exc})") from exc
    except jwt.InvalidTokenError as exc:
        raise _invalid(str(exc) or type(exc).__name__) from exc


def _check_lifetime(claims: dict[str, Any], max_lifetime: int) -> None:
    """Refuse a token that lives longer than `max_lifetime` seconds (both claims are numbers by now)."""
    lifetime = int(claims["exp"]) - int(claims["iat"])
    if lifetime > max_lifetime:
        raise _invalid(f"it lives {lifetime} s from 'iat' to 'exp', longer than the {max_lifetime} s allowed")


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
    max_lifetime: int | None = DEFAULT_MAX_LIFETIME_SECONDS,
) -> Principal:
    """Verify a bearer token and return its principal, or raise Unauthorized.

    `secret` is the HS256 secret, or the public key (PyJWK or cryptography key) for RS256/ES256.
    `iat` is required and `exp - iat` may be at most `max_lifetime` seconds; with `max_lifetime` None
    (development, see `ServiceSettings.token_max_lifetime`) a token of api.md's claims alone, `sub`,
    `role` and `exp`, is enough. `iss` and `aud` must match `issuer` and `audience` when those are given.
    """
    # An unsigned token must never verify, whatever a caller passes in.
    if not algorithms or any(alg.lower() == "none" for alg in algorithms):
        raise ValueError("algorithms must list signing algorithms, never 'none'")
    if max_lifetime is None:
        claims = _verify(token, secret, algorithms, leeway, audience, issuer, required=("sub", "role", "exp"))
    else:
        claims = _verify(token, secret, algorithms, leeway, audience, issuer)
        _check_lifetime(claims, max_lifetime)
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
    email = _optional_str(claims, "email")
    name = _optional_str(claims, "name")
    # Only school roles are scoped by the list; ignore it elsewhere so it grants nothing.
    schools = _schools(claims) if role in _SCHOOL_ROLES else frozenset[str]()
    if role is Role.LA_OFFICER and la is None:
        raise _invalid("role 'la_officer' needs the 'la' claim")
    if role in _EMAIL_ROLES and (email is None or "@" not in email):
        raise _invalid(f"role {role.value!r} needs an 'email' claim")
    return Principal(sub=sub, role=role, schools=schools, la=la, email=email, name=name)
