"""FastAPI dependencies that authenticate and authorise the caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from attendance_common.errors import Forbidden, Unauthorized

from .principal import Principal, Role
from .tokens import decode_token

# auto_error=False so a missing header becomes our 401 problem, not FastAPI's;
# the scheme still appears under components.securitySchemes in OpenAPI.
bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="HS256 JWT with sub, role, exp and the role's scope claims.",
)


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """Return the verified caller, or raise a 401 problem."""
    if credentials is None:
        raise Unauthorized("missing_token", "Send an 'Authorization: Bearer <JWT>' header with the request.")
    secret = getattr(request.app.state, "jwt_secret", None)
    if not isinstance(secret, str) or not secret:
        # A wiring bug, not the caller's fault: fail closed with a 500.
        raise RuntimeError("app.state.jwt_secret is not set; the app factory must set it")
    return decode_token(credentials.credentials, secret=secret)


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
