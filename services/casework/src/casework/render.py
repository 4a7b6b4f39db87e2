"""Cases as the API shows them: each with its family, alerts, records and history, loaded in batches."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.audit import note_pupil, note_pupils
from casework.models import (
    Action,
    Alert,
    Barrier,
    Case,
    CasePupil,
    LegalAction,
    Plan,
    PlanReview,
    Referral,
    StageEntry,
)
from casework.schemas import CaseOut, LegalActionOut, PlanOut

# Each part of a case, and the order it is listed in (oldest first).
_PARTS: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "pupils": (CasePupil, (CasePupil.school_urn, CasePupil.upn)),
    "alerts": (Alert, (Alert.raised_at, Alert.id)),
    "barriers": (Barrier, (Barrier.recorded_at, Barrier.id)),
    "actions": (Action, (Action.due_on, Action.created_at, Action.id)),
    "legal_actions": (LegalAction, (LegalAction.issued_on, LegalAction.recorded_at, LegalAction.id)),
    "referrals": (Referral, (Referral.made_at, Referral.id)),
    "history": (StageEntry, (StageEntry.at, StageEntry.id)),
}


async def render_cases(session: AsyncSession, cases: Sequence[Case]) -> list[CaseOut]:
    ids = [case.id for case in cases]
    parts: dict[str, dict[str, list[Any]]] = {}
    for name, (model, order) in _PARTS.items():
        grouped: dict[str, list[Any]] = defaultdict(list)
        if ids:
            for row in await session.scalars(select(model).where(model.case_id.in_(ids)).order_by(*order)):
                grouped[row.case_id].append(row)
        parts[name] = grouped
    note_pupils(_pupils_named(parts))
    plans = await render_plans(session, ids)
    return [
        CaseOut.model_validate(
            {
                **{
                    c: getattr(case, c)
                    for c in ("id", "family_key", "status", "stage", "opened_at", "closed_at")
                },
                "outcome": case.outcome,
                "close_note": case.close_note,
                **{name: [_fields(row) for row in parts[name][case.id]] for name in _PARTS},
                "plans": plans.get(case.id, []),
            }
        )
        for case in cases
    ]


async def render_case(session: AsyncSession, case: Case) -> CaseOut:
    (out,) = await render_cases(session, [case])
    return out


async def render_plans(session: AsyncSession, case_ids: Sequence[str]) -> dict[str, list[PlanOut]]:
    """The plans of these cases (oldest first), each with its reviews (oldest first), by case."""
    if not case_ids:
        return {}
    found = list(
        await session.scalars(
            select(Plan).where(Plan.case_id.in_(case_ids)).order_by(Plan.created_at, Plan.id)
        )
    )
    reviews: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if found:
        query = select(PlanReview).where(PlanReview.case_id.in_(case_ids))
        for row in await session.scalars(query.order_by(PlanReview.held_on, PlanReview.recorded_at)):
            reviews[row.plan_id].append(_fields(row))
    out: dict[str, list[PlanOut]] = defaultdict(list)
    for plan in found:
        out[plan.case_id].append(plan_out(plan, reviews[plan.id]))
    return out


async def render_plan(session: AsyncSession, plan: Plan) -> PlanOut:
    return next(p for p in (await render_plans(session, [plan.case_id]))[plan.case_id] if p.id == plan.id)


def plan_out(plan: Plan, reviews: list[dict[str, Any]]) -> PlanOut:
    return PlanOut.model_validate({**_fields(plan), "reviews": reviews})


def legal_action_out(action: LegalAction) -> LegalActionOut:
    note_pupil(action.upn, action.school_urn)
    return LegalActionOut.model_validate(action, from_attributes=True)


def _pupils_named(parts: dict[str, dict[str, list[Any]]]) -> Iterator[tuple[str | None, str]]:
    """Every pupil the rendered cases show: the families, their alerts, legal actions and referrals."""
    for name in ("pupils", "alerts", "legal_actions"):
        for rows in parts[name].values():
            yield from ((row.school_urn, row.upn) for row in rows)
    for rows in parts["referrals"].values():
        yield from ((None, row.upn) for row in rows if row.upn)


def _fields(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}
