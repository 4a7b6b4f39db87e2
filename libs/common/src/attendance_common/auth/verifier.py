"""Which tokens a service trusts: an identity provider's RS256/ES256 keys (JWKS) and, if allowed, HS256.

Production verifies tokens from the identity provider only, with issuer and audience checks; the
shared HS256 secret is for development and tests unless a deployment allows it explicitly
(settings.py decides and refuses unsafe combinations).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt

from attendance_common.errors import AppError, Unauthorized

from .principal import Principal
from .tokens import DEFAULT_MAX_LIFETIME_SECONDS, decode_token

if TYPE_CHECKING:
    from attendance_common.settings import ServiceSettings

PROVIDER_ALGORITHMS = ("RS256", "ES256")


class IdentityProviderUnavailable(AppError):
    """503: the identity provider's keys cannot be fetched, so no token can be checked."""

    status = 503


def _invalid(reason: str) -> Unauthorized:
    return Unauthorized("invalid_token", f"The bearer token is not valid: {reason}.")


@dataclass
class TokenVerifier:
    """Verifies a bearer token by its `alg`: provider algorithms via JWKS, HS256 via the shared secret.

    `iss` and `aud` are checked against the configured issuer and audience (each when set), HS256 too,
    and no token may live (`exp - iat`) longer than `max_lifetime` seconds.
    """

    hs256_secret: str | None = None
    jwks_url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    provider_algorithms: Sequence[str] = PROVIDER_ALGORITHMS
    leeway: float = 10
    max_lifetime: int | None = DEFAULT_MAX_LIFETIME_SECONDS
    jwks_cache_seconds: int = 300
    _jwks: jwt.PyJWKClient | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.jwks_url:
            # The client caches the key set and refetches it once when a token names an unknown `kid`
            # (key rotation), so the provider is asked rarely.
            self._jwks = jwt.PyJWKClient(self.jwks_url, lifespan=self.jwks_cache_seconds, timeout=10)

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> TokenVerifier:
        return cls(
            hs256_secret=settings.jwt_secret if settings.hs256_allowed else None,
            jwks_url=settings.jwt_jwks_url,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            max_lifetime=settings.token_max_lifetime,
        )

    @property
    def algorithms(self) -> list[str]:
        """The algorithms a token may be signed with here."""
        allowed = list(self.provider_algorithms) if self._jwks else []
        return allowed + (["HS256"] if self.hs256_secret else [])

    async def verify(self, token: str) -> Principal:
        """The token's principal, or Unauthorized (401) for anything that does not verify."""
        try:
            alg = jwt.get_unverified_header(token).get("alg")
        except jwt.InvalidTokenError as exc:
            raise _invalid(f"it is not a well-formed JWT ({exc})") from exc
        # Chosen from our list, never from the token: `none`, and HS256 when it is not allowed, stop here.
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise _invalid(f"the algorithm is not one of {', '.join(self.algorithms) or 'none allowed'}")
        if alg == "HS256":
            assert self.hs256_secret is not None
            key: Any = self.hs256_secret
        else:
            key = await self._signing_key(token)
        return decode_token(
            token,
            secret=key,
            algorithms=[alg],
            leeway=self.leeway,
            audience=self.audience,
            issuer=self.issuer,
            max_lifetime=self.max_lifetime,
        )

    async def _signing_key(self, token: str) -> jwt.PyJWK:
        assert self._jwks is not None
        try:
            # urllib underneath: off the event loop.
            return await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientConnectionError as exc:
            raise IdentityProviderUnavailable(
                "identity_provider_unavailable", "The identity provider's signing keys cannot be fetched."
            ) from exc
        except jwt.PyJWTError as exc:
            raise _invalid("no signing key of the identity provider matches its 'kid'") from exc
