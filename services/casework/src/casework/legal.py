"""Legal actions on a case (domain.md 7): recorded only within the national framework, or withdrawn."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal
from attendance_common.clock import now_utc, today_in_london
from attendance_common.copying import attributes, copy_as
from attendance_common.errors import Conflict, NotFound, Unprocessable
from attendance_common.events.casework import Amount, LegalActionRecorded
from attendance_common.identifiers import compact_upn
from casework import cases, framework
from casework.access import get_case, pupil_to_name
from casework.models import Alert, Case, CasePupil, LegalAction, Pupil
from casework.schemas import LegalActionIn, WithdrawIn
from casework.service import open_for_work


async def record_legal_action(
    session: AsyncSession, principal: Principal, case_id: str, body: LegalActionIn
) -> LegalAction:
    """Record a legal action against a parent for one child of the family, if the framework allows it."""
    case = await open_for_work(session, principal, case_id)
    pupil = await pupil_to_name(
        session, principal, await _enrolments_in_case(session, case, body.upn), body.upn
    )
    contact = _parent(pupil, body.parent_contact_id, body.type)
    if body.issued_on > today_in_london():
        raise Unprocessable("future_date", f"issued_on {body.issued_on} is in the future")
    framework.check_stage(body.type, case.stage)
    terms = copy_as(framework.Terms, body)
    details = framework.details(terms)
    parent_key = _parent_key(pupil, contact)
    amounts: list[dict[str, int]] = []
    if body.type == "penalty_notice":
        framework.check_penalty_grounds(body.reason, await _threshold_met(session, pupil.upn))
        earlier = await session.scalars(
            select(LegalAction.issued_on).where(
                LegalAction.type == "penalty_notice",
                LegalAction.status == "issued",
                LegalAction.upn == pupil.upn,
                LegalAction.parent_key == parent_key,
            )
        )
        amounts = framework.penalty_amounts(list(earlier), body.issued_on)
    action = LegalAction(
        id=str(uuid.uuid4()),
        case_id=case.id,
        type=body.type,
        status="issued",
        school_urn=pupil.school_urn,
        upn=pupil.upn,
        parent_contact_id=contact["contact_id"] if contact else None,
        parent_key=parent_key,
        issued_on=body.issued_on,
        reason=body.reason,
        amounts=amounts,
        details=details,
        recorded_at=now_utc(),
        recorded_by=principal.sub,
    )
    session.add(action)
    await session.flush()
    await _publish(session, case, action)
    return action


async def withdraw_legal_action(
    session: AsyncSession, principal: Principal, case_id: str, action_id: str, body: WithdrawIn
) -> LegalAction:
    """Withdraw an action; a withdrawn penalty notice no longer counts towards the limits."""
    case = await get_case(session, principal, case_id)
    action = await session.scalar(
        select(LegalAction).where(LegalAction.id == action_id, LegalAction.case_id == case.id)
    )
    if action is None:
        raise NotFound("unknown_legal_action", f"case {case_id} has no legal action {action_id}")
    named = await session.scalar(
        select(Pupil).where(Pupil.school_urn == action.school_urn, Pupil.upn == action.upn)
    )
    await pupil_to_name(session, principal, [named] if named else [], action.upn)
    if action.status == "withdrawn":
        raise Conflict("already_withdrawn", f"legal action {action_id} is already withdrawn")
    action.status, action.withdrawn_at = "withdrawn", now_utc()
    action.withdrawn_by, action.withdrawal_reason = principal.sub, body.reason
    await session.flush()
    await _publish(session, case, action)
    return action


async def _enrolments_in_case(session: AsyncSession, case: Case, upn: str) -> list[Pupil]:
    """The pupil's enrolments in the case (two for a dual-registered pupil), or 422 `pupil_not_in_case`."""
    enrolments = list(
        await session.scalars(
            select(Pupil)
            .join(CasePupil, (CasePupil.school_urn == Pupil.school_urn) & (CasePupil.upn == Pupil.upn))
            .where(CasePupil.case_id == case.id, CasePupil.upn == compact_upn(upn))
            .order_by(Pupil.school_urn)
        )
    )
    if not enrolments:
        raise Unprocessable("pupil_not_in_case", f"pupil {upn} is not in case {case.id}")
    return enrolments


def _parent(pupil: Pupil, contact_id: str | None, action_type: str) -> dict[str, Any] | None:
    """The contact the action names, who must have parental responsibility for the pupil."""
    if contact_id is None:
        if action_type in framework.NAMES_A_PARENT:
            raise Unprocessable(
                "parent_contact_required", f"a {action_type} names a parent: give parent_contact_id"
            )
        return None
    contact = next((c for c in pupil.contacts if c["contact_id"] == contact_id), None)
    if contact is None:
        raise Unprocessable("unknown_parent_contact", f"pupil {pupil.upn} has no contact {contact_id}")
    if not contact["parental_responsibility"]:
        raise Unprocessable(
            "contact_without_parental_responsibility",
            f"contact {contact_id} does not have parental responsibility for pupil {pupil.upn}",
        )
    return contact


def _parent_key(pupil: Pupil, contact: dict[str, Any] | None) -> str | None:
    """A parent is the contact identified by email (case-insensitive), else by contact id (api.md)."""
    if contact is None:
        return None
    return contact["email"] or f"contact:{pupil.school_urn}:{pupil.upn}:{contact['contact_id']}"


async def _threshold_met(session: AsyncSession, upn: str) -> bool:
    """Whether the pupil has an open `penalty_threshold` alert (10 unauthorised sessions in 10 weeks)."""
    found = await session.scalar(
        select(Alert.id)
        .where(Alert.upn == upn, Alert.type == "penalty_threshold", Alert.status == "open")
        .limit(1)
    )
    return found is not None


async def _publish(session: AsyncSession, case: Case, action: LegalAction) -> None:
    await cases.add_case_event(
        session,
        case,
        LegalActionRecorded,
        action_id=action.id,
        **attributes(action, ("type", "status", "upn", "parent_contact_id", "issued_on", "reason")),
        amounts=[Amount(**a) for a in action.amounts],
        recorded_at=action.withdrawn_at or action.recorded_at,
    )
