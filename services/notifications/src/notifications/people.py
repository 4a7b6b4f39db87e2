"""Who a trigger is about and who cares for them, and what the message templates are told."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.clock import today_in_london
from attendance_common.events.registers import PupilDeleted
from notifications import projections, templates
from notifications.models import Trigger


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


async def child_of(session: AsyncSession, trigger: Trigger) -> Child | None:
    """From the deletion event itself (it carries what the LA must be told), else the projection;
    None while the pupil's own event has not arrived."""
    school = await projections.school_name(session, trigger.school_urn) or f"School {trigger.school_urn}"
    if trigger.kind == "pupil_deleted":
        data = PupilDeleted.model_validate(trigger.event["data"])
        contacts = sorted((c for c in data.contacts if c.parental_responsibility), key=lambda c: c.priority)
        worker = data.social_worker
        return Child(
            upn=data.upn,
            given_name=data.given_name,
            family_name=data.family_name,
            school=school,
            parents=[Parent(c.name, _lower(c.email), c.phone) for c in contacts],
            social_worker_name=worker.name if worker else None,
            social_worker_email=_lower(worker.email) if worker else None,
        )
    pupil = await projections.get_pupil(session, trigger.school_urn, trigger.upn)
    if pupil is None or not pupil.known:
        return None
    parents = await projections.parent_contacts(session, pupil.id)
    return Child(
        upn=pupil.upn,
        given_name=pupil.given_name or "",
        family_name=pupil.family_name or "",
        school=school,
        parents=[Parent(c.name, c.email, c.phone) for c in parents],
        social_worker_name=pupil.social_worker_name,
        social_worker_email=pupil.social_worker_email,
    )


def _lower(email: str | None) -> str | None:
    return email.strip().lower() if email else None


def context(trigger: Trigger, child: Child, now: dt.datetime) -> dict[str, Any]:
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
