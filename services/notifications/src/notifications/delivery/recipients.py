"""Who a trigger is about and who cares for them, and what the message templates are told."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.bulk import any_of
from attendance_common.clock import today_in_london
from attendance_common.events.registers import PupilDeleted
from notifications.delivery import templates
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
    return _child(rows, trigger.school_urn)


async def children_of(session: AsyncSession, triggers: Sequence[TriggerRow]) -> dict[str, Child | None]:
    """`child_of` for many triggers (by key), their pupils read in one query."""
    children: dict[str, Child | None] = {
        t.key: await child_of(session, t) for t in triggers if t.kind == "pupil_deleted"
    }
    wanted = {(t.school_urn, t.upn) for t in triggers if t.kind != "pupil_deleted"}
    if not wanted:
        return children
    dialect = (await session.connection()).dialect.name
    query = _CHILDREN.where(
        any_of(Pupil.school_urn, sorted({urn for urn, _ in wanted}), dialect),
        any_of(Pupil.upn, sorted({upn for _, upn in wanted}), dialect),
    )
    rows: dict[tuple[str, str], list[Any]] = {}
    for row in await session.execute(query):
        rows.setdefault((row.school_urn, row.upn), []).append(row)
    for trigger in triggers:
        if trigger.kind != "pupil_deleted":
            children[trigger.key] = _child(
                rows.get((trigger.school_urn, trigger.upn), []), trigger.school_urn
            )
    return children


def _child(rows: Sequence[Any], school_urn: str) -> Child | None:
    """The child from its `_CHILD` rows (one per parent); None if unknown, or only a bare row made
    by a mark."""
    if not rows or rows[0].given_name is None:
        return None
    first = rows[0]
    return Child(
        upn=first.upn,
        given_name=first.given_name or "",
        family_name=first.family_name or "",
        school=first.school or f"School {school_urn}",
        parents=[Parent(r.contact_name, r.email, r.phone) for r in rows if r.contact_name is not None],
        social_worker_name=first.social_worker_name,
        social_worker_email=first.social_worker_email,
    )


_COLUMNS = (
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
_CHILD = (
    select(*_COLUMNS)
    .select_from(Pupil)
    .outerjoin(School, School.urn == Pupil.school_urn)
    .outerjoin(Contact, and_(Contact.pupil_id == Pupil.id, Contact.parental_responsibility.is_(True)))
    .where(Pupil.school_urn == bindparam("urn"), Pupil.upn == bindparam("upn"))
    .order_by(Contact.priority, Contact.contact_id)
)
# Many pupils at once (filtered by school and UPN, then matched): each one's rows as `_CHILD`'s.
_CHILDREN = (
    select(Pupil.school_urn, *_COLUMNS)
    .select_from(Pupil)
    .outerjoin(School, School.urn == Pupil.school_urn)
    .outerjoin(Contact, and_(Contact.pupil_id == Pupil.id, Contact.parental_responsibility.is_(True)))
    .order_by(Pupil.id, Contact.priority, Contact.contact_id)
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
        # emerging absence: the school days of its window (the school's last 20 by default)
        "recent_days": (figures.get("window") or {}).get("school_days", 20),
        "run_from": templates.long_date(dt.date.fromisoformat(run_from)) if run_from else "",
        "run_to": templates.long_date(dt.date.fromisoformat(run_to)) if run_to else "",
        "ground": templates.GROUNDS.get(
            data.get("ground", ""), str(data.get("ground", "")).replace("_", " ")
        ),
        "note": data.get("note"),
        "parent_name": "",
        "recipient_name": child.social_worker_name or "",
        "dates": [],  # a folded catch-up message's dates (catch_up.py)
        **templates.request_words(data),
        **templates.plan_words(data),
    }
