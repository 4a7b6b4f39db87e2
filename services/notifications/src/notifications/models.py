"""Notifications tables: projections of schools, pupils, contacts and marks; triggers, deliveries,
the parent feed, webhook subscriptions and routing overrides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from attendance_common.db import BIG_ID, UtcDateTime, new_metadata, partial_index
from attendance_common.projections import PupilProjection, SchoolProjection
from attendance_common.scopes import ScopedSettingsRow


class Base(DeclarativeBase):
    metadata = new_metadata()


class School(SchoolProjection, Base):
    name: Mapped[str | None] = mapped_column(String(200))


class Pupil(PupilProjection, Base):
    """One enrolment (school + UPN). A mark can arrive before the pupil event: then only the ids are known."""

    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    year_group: Mapped[str | None] = mapped_column(String(3))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    deleted_on: Mapped[dt.date | None] = mapped_column(Date)
    social_worker_name: Mapped[str | None] = mapped_column(String(200))
    social_worker_email: Mapped[str | None] = mapped_column(String(320))

    @property
    def known(self) -> bool:
        """Whether the pupil event has arrived (names and contacts are known)."""
        return self.given_name is not None


class Contact(Base):
    """A pupil's contact; `email` is lower-cased (emails match case-insensitively everywhere)."""

    __tablename__ = "contacts"

    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[str | None] = mapped_column(String(100))
    parental_responsibility: Mapped[bool] = mapped_column(Boolean)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer)


class Mark(Base):
    """The pupil's current code per session: the parent-facing attendance read model.

    No foreign key to pupils (as in alerts): a check on every mark of the hottest write (in
    registers the same check doubles a COPY's cost), and the worker writes the pupils a register
    names before their marks (projections.pupil_ids).
    """

    __tablename__ = "marks"

    pupil_id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    session: Mapped[str] = mapped_column(String(2), primary_key=True)
    code: Mapped[str] = mapped_column(String(2))


class Trigger(Base):
    """Something that may notify people: an alert, a deletion from roll, a referral to the LA.

    `key` is `alert:<alert id>` or `event:<event id>`: an alert published twice is one trigger.
    """

    __tablename__ = "triggers"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(100))
    school_urn: Mapped[str] = mapped_column(String(6))
    la_code: Mapped[str | None] = mapped_column(String(3))
    upn: Mapped[str] = mapped_column(String(13), index=True)
    # The CloudEvent as received (structured mode): what templates and webhooks are made from.
    event: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    # Null until people were routed: an alert can overtake its pupil's event (other topic).
    routed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # A catch-up's trigger whose people were told in another's message (delivery/catch_up.py): its key.
    folded_into: Mapped[str | None] = mapped_column(String(80), index=True)


class Delivery(Base):
    """One message to one recipient on one channel, and every attempt's outcome."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # A message is sent once, however often its trigger arrives.
        Index("uq_deliveries_once", "trigger_key", "channel", "recipient_kind", "address", unique=True),
        # The delivery loop reads only due pending rows.
        partial_index("ix_deliveries_due", "next_attempt_at", where="status = 'pending'"),
        Index("ix_deliveries_school", "school_urn", "seq"),
        Index("ix_deliveries_la", "la_code", "seq"),
    )

    # Creation order (parents in priority order): the log's order and its cursor.
    seq: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)  # the notification id (and webhook-id)
    trigger_key: Mapped[str] = mapped_column(String(80))
    trigger: Mapped[str] = mapped_column(String(40))
    school_urn: Mapped[str] = mapped_column(String(6))
    la_code: Mapped[str | None] = mapped_column(String(3))
    upn: Mapped[str] = mapped_column(String(13), index=True)
    recipient_kind: Mapped[str] = mapped_column(String(20))
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    channel: Mapped[str] = mapped_column(String(10))
    subscription_id: Mapped[str | None] = mapped_column(String(36))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # Set, and committed, when a worker claims the delivery to send it; cleared when the outcome is
    # recorded. Still set when the claim's lease ran out: the send may or may not have happened.
    sending_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class Message(Base):
    """A message in a parent's app feed (the `app` channel); the feed is per parent email."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_parent", "parent_email", "id"),
        Index("uq_messages_once", "trigger_key", "parent_email", unique=True),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    parent_email: Mapped[str] = mapped_column(String(320))
    trigger_key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    school_urn: Mapped[str] = mapped_column(String(6))
    upn: Mapped[str] = mapped_column(String(13))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    # Set when what the message said stopped holding (e.g. the N was amended to I).
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # What the message is about in figures, for the app to show (e.g. an attendance update's).
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Subscription(Base):
    """An LA system's webhook: the events it wants about pupils in its LA's schools."""

    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    la_code: Mapped[str] = mapped_column(String(3), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    alert_types: Mapped[list[str]] = mapped_column(JSON)  # empty: all
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(200))


class RoutingScope(ScopedSettingsRow, Base):
    """Routing overrides for `default`, `la:{code}` or `school:{urn}`; the most specific wins."""

    __tablename__ = "routing_scopes"

    settings: Mapped[dict[str, Any]] = mapped_column("routes", JSON)  # the routes, by trigger


class AbsenceReport(Base):
    """A family's absence report as registers last told of it (`attendance.requests`): which
    sessions it covers and its status. A first-day contact for a covered session is not sent."""

    __tablename__ = "absence_reports"
    __table_args__ = (Index("ix_absence_reports_pupil", "school_urn", "upn"),)

    report_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    school_urn: Mapped[str] = mapped_column(String(6))
    upn: Mapped[str] = mapped_column(String(13))
    first_date: Mapped[dt.date] = mapped_column(Date)
    first_session: Mapped[str] = mapped_column(String(2))
    last_date: Mapped[dt.date] = mapped_column(Date)
    last_session: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(10))


class FamilyPlan(Base):
    """A plan on a family's case as the parents may see it (api.md Part 2), kept from the plan
    events on `attendance.cases`: kind, lead's name and role, targets, next review, status."""

    __tablename__ = "family_plans"

    plan_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10))  # active (an ended plan is deleted)
    lead_name: Mapped[str] = mapped_column(String(200))
    lead_role: Mapped[str] = mapped_column(String(100))
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    review_on: Mapped[dt.date] = mapped_column(Date)
    agreed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class FamilyPlanPupil(Base):
    """A pupil of the family whose case holds the plan (as its latest plan event named them)."""

    __tablename__ = "family_plan_pupils"
    __table_args__ = (Index("ix_family_plan_pupils_pupil", "school_urn", "upn"),)

    plan_id: Mapped[str] = mapped_column(ForeignKey("family_plans.plan_id"), primary_key=True)
    school_urn: Mapped[str] = mapped_column(String(6), primary_key=True)
    upn: Mapped[str] = mapped_column(String(13), primary_key=True)
