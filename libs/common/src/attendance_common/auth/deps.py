"""FastAPI dependencies that authenticate and authorise the caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from attendance_common.audit.recording import note_principal
from attendance_common.errors import Forbidden, Unauthorized

from .principal import Principal, Role
from .tokens import decode_token
from .verifier import TokenVerifier

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# auto_error=False so a missing header becomes our 401 problem, not FastAPI's;
# the scheme still appears under components.securitySchemes in OpenAPI.
bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="JWT (RS256/ES256 from the identity provider; HS256 in development) with sub, role, iat, "
    "exp (at most an hour after iat) and the role's scope claims.",
)


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """Return the verified caller, or raise a 401 problem."""
    if credentials is None:
        raise Unauthorized("missing_token", "Send an 'Authorization: Bearer <JWT>' header with the request.")
    verifier = _verifier(request)
    if verifier is not None:
        principal = await verifier.verify(credentials.credentials)
        note_principal(principal)
        limiter = getattr(request.app.state, "write_rate_limiter", None)
        if limiter is not None and request.method in WRITE_METHODS:
            limiter.check(principal.sub)
        return principal
    secret = getattr(request.app.state, "jwt_secret", None)
    if not isinstance(secret, str) or not secret:
        # A wiring bug, not the caller's fault: fail closed with a 500.
        raise RuntimeError("app.state.jwt_secret is not set; the app factory must set it")
    return decode_token(credentials.credentials, secret=secret)


def _verifier(request: Request) -> TokenVerifier | None:
    """The app's verifier, built once from its settings; None for a bare app with only `jwt_secret`."""
    state = request.app.state
    verifier = getattr(state, "token_verifier", None)
    if verifier is None and getattr(state, "settings", None) is not None:
        verifier = state.token_verifier = TokenVerifier.from_settings(state.settings)
    return verifier


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role | str) -> Callable[[Principal], Awaitable[Principal]]:
    """Build a dependency that admits the given roles (and admin) and returns the caller."""
    # Converting now turns a typo in a route declaration into an import-time error.
    allowed = frozenset(Role(role) for role in roles) | {Role.ADMIN}
    names = ", ".join(sorted(allowed))

    async def check_role(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(
                "forbidden_role",
                f"Role {principal.role.value!r} may not do this; allowed: {names}.",
            )
        return principal

    return check_role
