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
    # api.md Part 2 "Roles added": aggregate reports of its schools only; a trust's schools as staff.
    GOVERNOR = "governor"
    TRUST_OFFICER = "trust_officer"


@dataclass(frozen=True, slots=True)
class Principal:
    """A verified caller; services add their own pupil-level scope checks."""

    sub: str
    role: Role
    schools: frozenset[str] = frozenset()
    la: str | None = None
    trust: str | None = None
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

    def can_read_school(self, urn: str, la_code: str | None, trust_id: str | None = None) -> bool:
        """Whether the caller may read school-wide and pupil-level data of this school.

        `trust_id` is the school's trust (None when it has none, or the service does not know it):
        a trust officer reaches only schools a service knows to be of its trust.
        """
        if self.role is Role.ADMIN:
            return True
        if self.role in (Role.MIS, Role.SCHOOL_STAFF):
            return urn in self.schools
        if self.role is Role.LA_OFFICER:
            return la_code is not None and la_code == self.la
        if self.role is Role.TRUST_OFFICER:
            return trust_id is not None and trust_id == self.trust
        # Social workers and parents see single pupils only, checked by the service; governors
        # never see pupil-level data (aggregates: can_read_aggregates).
        return False

    def can_read_aggregates(self, urn: str, la_code: str | None, trust_id: str | None = None) -> bool:
        """Whether the caller may read this school's aggregate figures (summaries, reports)."""
        if self.role is Role.GOVERNOR:
            return urn in self.schools
        return self.can_read_school(urn, la_code, trust_id)

    @property
    def acts_as_school_staff(self) -> bool:
        """School staff, and trust officers (staff of every school of their trust)."""
        return self.role in (Role.SCHOOL_STAFF, Role.TRUST_OFFICER)

    def can_write_school(self, urn: str) -> bool:
        """Whether the caller may write registers (pupils, marks) of this school."""
        return self.role is Role.ADMIN or (self.role is Role.MIS and urn in self.schools)
