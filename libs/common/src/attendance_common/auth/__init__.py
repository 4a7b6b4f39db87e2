"""Bearer-token authentication and role scopes shared by every service."""

from .deps import CurrentPrincipal, bearer_scheme, get_principal, require_roles
from .principal import Principal, Role
from .tokens import DEVELOPMENT_JWT_SECRET, decode_token, mint_token

__all__ = [
    "DEVELOPMENT_JWT_SECRET",
    "CurrentPrincipal",
    "Principal",
    "Role",
    "bearer_scheme",
    "decode_token",
    "get_principal",
    "mint_token",
    "require_roles",
]
