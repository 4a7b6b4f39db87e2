"""Who a trigger is about and who cares for them, and what the message templates are told."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.clock import today_in_london
from attendance_common.events.registers import PupilDeleted
from notifications import templates
from notifications.models import Contact, Pupil, School


@dataclass(frozen=True)
class TriggerRow:
    """A trigger as stored (models.Trigger's columns), without an ORM object per alert."""

    key: str
    kind: str
    event_type: str
    school_urn: str
    la_code: str | None
    upn: str
    event: dict[str, Any]  # the CloudEvent in structured mode


@dataclass(frozen=True)
class Parent:
    name: str
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class Child:
    """The pupil a trigger is about: names, school, parents in priority order and social worker."""

    upn: str
    given_name: str
    family_name: str
    school: str
    parents: list[Parent] = field(default_factory=list)
    social_worker_name: str | None = None
    social_worker_email: str | None = None


async def child_of(session: AsyncSession, trigger: TriggerRow) -> Child | None:
    """From the deletion event itself (it carries what the LA must be told), else the projection;
    None while the pupil's own event has not arrived."""
    if trigger.kind == "pupil_deleted":
        school = await session.scalar(select(School.name).where(School.urn == trigger.school_urn))
        data = PupilDeleted.model_validate(trigger.event["data"])
        contacts = sorted((c for c in data.contacts if c.parental_responsibility), key=lambda c: c.priority)
        worker = data.social_worker
        return Child(
            upn=data.upn,
            given_name=data.given_name,
            family_name=data.family_name,
            school=school or f"School {trigger.school_urn}",
            parents=[Parent(c.name, _lower(c.email), c.phone) for c in contacts],
            social_worker_name=worker.name if worker else None,
            social_worker_email=_lower(worker.email) if worker else None,
        )
    # One round trip: the pupil, its school's name and its parents in priority order.
    rows = list(await session.execute(_CHILD, {"urn": trigger.school_urn, "upn": trigger.upn}))
    if not rows or rows[0].given_name is None:  # unknown, or only a bare row made by a mark
        return None
    first = rows[0]
    return Child(
        upn=first.upn,
        given_name=first.given_name or "",
        family_name=first.family_name or "",
        school=first.school or f"School {trigger.school_urn}",
        parents=[Parent(r.contact_name, r.email, r.phone) for r in rows if r.contact_name is not None],
        social_worker_name=first.social_worker_name,
        social_worker_email=first.social_worker_email,
    )


_CHILD = (
    select(
        Pupil.upn,
        Pupil.given_name,
        Pupil.family_name,
        Pupil.social_worker_name,
        Pupil.social_worker_email,
        School.name.label("school"),
        Contact.name.label("contact_name"),
        Contact.email,
        Contact.phone,
    )
    .select_from(Pupil)
    .outerjoin(School, School.urn == Pupil.school_urn)
    .outerjoin(Contact, and_(Contact.pupil_id == Pupil.id, Contact.parental_responsibility.is_(True)))
    .where(Pupil.school_urn == bindparam("urn"), Pupil.upn == bindparam("upn"))
    .order_by(Contact.priority, Contact.contact_id)
)


def _lower(email: str | None) -> str | None:
    return email.strip().lower() if email else None


def context(trigger: TriggerRow, child: Child, now: dt.datetime) -> dict[str, Any]:
    """What every template may use; the trigger's figures where it has them."""
    data = trigger.event.get("data", {})
    evidence = data.get("evidence") or {}
    figures = evidence.get("figures") or {}
    day = dt.date.fromisoformat(data["date"]) if data.get("date") else None
    marks = [m for m in evidence.get("marks", []) if day is None or m.get("date") == day.isoformat()]
    possible = figures.get("denominator")
    run_from, run_to = figures.get("from"), figures.get("to")
    return {
        "child": child.given_name,
        "child_full": f"{child.given_name} {child.family_name}".strip(),
        "upn": child.upn,
        "school": child.school,
        "day": templates.long_date(day) if day else "",
        "when": templates.when_text(day, today_in_london(now)) if day else "recently",
        "sessions": templates.sessions_text([m["session"] for m in marks]),
        "codes": ", ".join(sorted({m["code"] for m in marks})) or "N",
        "missed": figures.get("numerator", "some"),
        "possible": possible if possible is not None else "possible",
        "percent": templates.percent(figures.get("rate")),
        "run_days": figures.get("school_days", 10),
        "run_from": templates.long_date(dt.date.fromisoformat(run_from)) if run_from else "",
        "run_to": templates.long_date(dt.date.fromisoformat(run_to)) if run_to else "",
        "ground": templates.GROUNDS.get(
            data.get("ground", ""), str(data.get("ground", "")).replace("_", " ")
        ),
        "note": data.get("note"),
        "parent_name": "",
        "recipient_name": child.social_worker_name or "",
    }
