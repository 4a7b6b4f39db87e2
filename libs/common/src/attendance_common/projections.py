"""The columns every consuming service keeps of registers' schools and pupils (its projections of
`attendance.school.upserted` and `attendance.pupil.upserted`): mixins for each service's own tables.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from attendance_common.db import BIG_ID


class SchoolProjection:
    """A school's LA and trust: whose officers reach its rows."""

    __tablename__ = "schools"

    urn: Mapped[str] = mapped_column(String(6), primary_key=True)
    la_code: Mapped[str | None] = mapped_column(String(3))
    # From `attendance.school.upserted` only: a trust officer reaches its trust's schools' rows.
    trust_id: Mapped[str | None] = mapped_column(String(40), index=True)


class PupilProjection:
    """One enrolment (school + UPN), known by a service-local id."""

    __tablename__ = "pupils"

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        return (Index("uq_pupils_school_upn", "school_urn", "upn", unique=True),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    school_urn: Mapped[str] = mapped_column(String(6))
    upn: Mapped[str] = mapped_column(String(13), index=True)
    la_code: Mapped[str | None] = mapped_column(String(3))
