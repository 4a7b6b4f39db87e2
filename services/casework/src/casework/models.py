"""Casework tables: projections of pupils and alerts, and family cases with all that is recorded on them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from attendance_common.db import BIG_ID, UtcDateTime, new_metadata, partial_index
from attendance_common.projections import PupilProjection, SchoolProjection


class Base(DeclarativeBase):
    metadata = new_metadata()


class School(SchoolProjection, Base):
    """Each school's LA and trust, from `attendance.school.upserted`: a trust officer's reach."""


class Pupil(PupilProjection, Base):
    """One enrolment (school + UPN) and the family it belongs to; from pupil events (or a first alert)."""

    family_key: Mapped[str] = mapped_column(String(40), index=True)
    # [{contact_id, email (lower case), parental_responsibility, priority}]: who a legal action
    # names as the parent. Kept here, never put in an event.
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        # One open case per family.
        partial_index("uq_cases_open_family", "family_key", where="status = 'open'", unique=True),
        Index("ix_cases_opened", "opened_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    family_key: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(10))
    stage: Mapped[str] = mapped_column(String(30))
    opened_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(30))
    close_note: Mapped[str | None] = mapped_column(String(2000))
    closed_by: Mapped[str | None] = mapped_column(String(200))


class CasePupil(Base):
    """The case's family: kept in step with the pupils projection while the case is open."""

    __tablename__ = "case_pupils"
    __table_args__ = (Index("ix_case_pupils_pupil", "school_urn", "upn"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    school_urn: Mapped[str] = mapped_column(String(6), primary_key=True)
    upn: Mapped[str] = mapped_column(String(13), primary_key=True)
    la_code: Mapped[str | None] = mapped_column(String(3), index=True)


class StageEntry(Base):
    """One line of a case's history: the stage it entered, when, why and who moved it."""

    __tablename__ = "stage_history"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    stage: Mapped[str] = mapped_column(String(30))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str | None] = mapped_column(String(2000))
    by: Mapped[str] = mapped_column(String(200))
    by_role: Mapped[str | None] = mapped_column(String(20))
    by_name: Mapped[str | None] = mapped_column(String(200))


class Alert(Base):
    """An alert of a pupil (from `attendance.alerts`) and the case it is linked to, if any."""

    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    school_urn: Mapped[str] = mapped_column(String(6))
    upn: Mapped[str] = mapped_column(String(13), index=True)
    status: Mapped[str] = mapped_column(String(10))
    raised_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)


class Referral(Base):
    __tablename__ = "referrals"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    to: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(200))
    upn: Mapped[str | None] = mapped_column(String(13))
    # The alert that made it: one referral per alert, however often the alert is delivered.
    alert_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    made_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class Barrier(Base):
    __tablename__ = "barriers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    description: Mapped[str | None] = mapped_column(String(2000))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))


class Action(Base):
    __tablename__ = "actions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    type: Mapped[str] = mapped_column(String(30))
    due_on: Mapped[dt.date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(200))


class LegalAction(Base):
    __tablename__ = "legal_actions"
    # The penalty-notice limits count per parent per child, across cases.
    __table_args__ = (Index("ix_legal_actions_parent_child", "parent_key", "upn"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10))
    school_urn: Mapped[str] = mapped_column(String(6))
    upn: Mapped[str] = mapped_column(String(13))
    parent_contact_id: Mapped[str | None] = mapped_column(String(100))
    # The parent's lower-case email, else `contact:{urn}:{upn}:{contact_id}`; never published.
    parent_key: Mapped[str | None] = mapped_column(String(400))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(2000))
    amounts: Mapped[list[dict[str, int]]] = mapped_column(JSON, default=list)
    # Type-specific terms: improvement_period_weeks, section, notice_served_on.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))
    withdrawal_reason: Mapped[str | None] = mapped_column(String(2000))
