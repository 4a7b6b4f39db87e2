"""Who is calling: the role and scope carried by a verified token."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The roles a token may carry (api.md, Auth)."""

    MIS = "mis"
    SCHOOL_STAFF = "school_staff"
    LA_OFFICER = "la_officer"
    SOCIAL_WORKER = "social_worker"
    PARENT = "parent"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """A verified caller; services add their own pupil-level scope checks."""

    sub: str
    role: Role
    schools: frozenset[str] = frozenset()
    la: str | None = None
    email: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        # Normalise here so hand-built principals (tests, fixtures) match decoded ones.
        object.__setattr__(self, "role", Role(self.role))
        object.__setattr__(self, "schools", frozenset(self.schools))
        if self.email is not None:
            object.__setattr__(self, "email", self.email.strip().lower())

    @property
    def is_admin(self) -> bool:
        """Whether the caller may do everything."""
        return self.role is Role.ADMIN

    def can_read_school(self, urn: str, la_code: str | None) -> bool:
        """Whether the caller may read school-wide data of this school."""
        if self.role is Role.ADMIN:
            return True
        if self.role in (Role.MIS, Role.SCHOOL_STAFF):
            return urn in self.schools
        if self.role is Role.LA_OFFICER:
            return la_code is not None and la_code == self.la
        # Social workers and parents see single pupils only, checked by the service.
        return False

    def can_write_school(self, urn: str) -> bool:
        """Whether the caller may write registers (pupils, marks) of this school."""
        return self.role is Role.ADMIN or (self.role is Role.MIS and urn in self.schools)
