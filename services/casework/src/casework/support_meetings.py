"""Targeting support meetings (api.md Part 2, domain.md 10): the pack an LA and a school review
together, and the meeting they record, written with its case actions and its event.

The pack is built from casework's own projections: the alerts it keeps from `attendance.alerts`,
the families from `attendance.pupils`, and its cases and plans.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.audit import note_pupils
from attendance_common.clock import now_utc
from attendance_common.errors import Conflict, Unprocessable
from attendance_common.events import casework as events
from attendance_common.messaging import add_event
from casework.cases import SOURCE, Actor
from casework.meeting_rules import AGREED_ACTION_TYPE, PACK_ALERTS, action_notes, in_pack, pack_rank
from casework.models import Action, Alert, Case, CasePupil, Plan, Pupil, SupportMeeting
from casework.plan_rules import ACTIVE
from casework.schemas import AgreedIn, PackCaseOut, PackOut, PackPlanOut, PackPupilOut, SupportMeetingIn


async def pack(session: AsyncSession, school_urn: str) -> PackOut:
    """Every pupil of the school with an open severe or persistent absence alert, severe first,
    with all their open alerts and their family's open case and its active plans."""
    flagged = select(Alert.upn).where(
        Alert.school_urn == school_urn, Alert.status == "open", Alert.type.in_(PACK_ALERTS)
    )
    rows = await session.execute(
        select(Alert.upn, Alert.type).where(
            Alert.school_urn == school_urn, Alert.status == "open", Alert.upn.in_(flagged)
        )
    )
    alerts: dict[str, set[str]] = defaultdict(set)
    for upn, kind in rows:
        alerts[upn].add(kind)
    upns = sorted((u for u, kinds in alerts.items() if in_pack(kinds)), key=lambda u: pack_rank(alerts[u], u))
    cases = await _open_cases(session, school_urn, upns)
    plans = await _active_plans(session, [case.id for case in cases.values()])
    note_pupils((school_urn, upn) for upn in upns)
    return PackOut(
        school_urn=school_urn,
        generated_at=now_utc(),
        pupils=[
            PackPupilOut(
                upn=upn,
                alerts=sorted(alerts[upn]),
                case=None
                if (case := cases.get(upn)) is None
                else PackCaseOut(id=case.id, stage=case.stage, plans=plans.get(case.id, [])),
            )
            for upn in upns
        ],
    )


async def _open_cases(session: AsyncSession, school_urn: str, upns: Sequence[str]) -> dict[str, Case]:
    """Each pupil's family's open case, by UPN."""
    if not upns:
        return {}
    found = await session.execute(
        select(Pupil.upn, Case)
        .join(Case, Case.family_key == Pupil.family_key)
        .where(Pupil.school_urn == school_urn, Pupil.upn.in_(upns), Case.status == "open")
    )
    return {upn: case for upn, case in found}


async def _active_plans(session: AsyncSession, case_ids: Sequence[str]) -> dict[str, list[PackPlanOut]]:
    out: dict[str, list[PackPlanOut]] = defaultdict(list)
    if case_ids:
        query = select(Plan).where(Plan.case_id.in_(case_ids), Plan.status == ACTIVE)
        for plan in await session.scalars(query.order_by(Plan.created_at, Plan.id)):
            out[plan.case_id].append(PackPlanOut(id=plan.id, kind=plan.kind, review_on=plan.review_on))
    return out


async def check_agreed(session: AsyncSession, school_urn: str, agreed: Sequence[AgreedIn]) -> dict[str, Case]:
    """Each agreed item names an open case with a pupil at this school (else 422
    `case_not_at_school`, or 409 `case_closed`); the cases by id."""
    ids = sorted({item.case_id for item in agreed})
    cases = {c.id: c for c in await session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}
    at_school = (
        set(
            await session.scalars(
                select(CasePupil.case_id).where(
                    CasePupil.case_id.in_(ids), CasePupil.school_urn == school_urn
                )
            )
        )
        if ids
        else set()
    )
    for index, item in enumerate(agreed):
        case = cases.get(item.case_id)
        if case is None or case.id not in at_school:
            # A case of another school is not this meeting's to act on, nor to confirm it exists.
            raise Unprocessable(
                "case_not_at_school",
                f"agreed[{index}]: case {item.case_id} is not a case of a pupil at school {school_urn}",
            )
        if case.status != "open":
            raise Conflict("case_closed", f"agreed[{index}]: case {item.case_id} is closed")
    return cases


async def record(
    session: AsyncSession, la_code: str, body: SupportMeetingIn, cases: dict[str, Case], *, by: Actor
) -> SupportMeeting:
    """Record the meeting; each agreed item becomes an action (type `other`) on its case."""
    now = now_utc()
    agreed: list[dict[str, Any]] = []
    for item in body.agreed:
        action = Action(
            id=str(uuid.uuid4()),
            case_id=cases[item.case_id].id,
            type=AGREED_ACTION_TYPE,
            due_on=item.due_on,
            notes=action_notes(item.action, item.owner, body.held_on),
            created_at=now,
            created_by=by.sub,
        )
        session.add(action)
        agreed.append({**item.model_dump(mode="json"), "action_id": action.id})
    meeting = SupportMeeting(
        id=str(uuid.uuid4()),
        la_code=la_code,
        school_urn=body.school_urn,
        held_on=body.held_on,
        attendees=[a.model_dump(mode="json") for a in body.attendees],
        notes=body.notes,
        agreed=agreed,
        recorded_at=now,
        recorded_by=by.sub,
    )
    session.add(meeting)
    await session.flush()
    add_event(
        session,
        events.SupportMeetingHeld(
            meeting_id=meeting.id,
            la_code=la_code,
            school_urn=body.school_urn,
            held_on=body.held_on,
            attendees=[events.MeetingAttendee.model_validate(a) for a in meeting.attendees],
            agreed=[
                events.AgreedAction(
                    case_id=a["case_id"], action_id=a["action_id"], due_on=dt.date.fromisoformat(a["due_on"])
                )
                for a in agreed
            ],
            recorded_at=now,
            by=by.sub,
        ),
        source=SOURCE,
    )
    return meeting
