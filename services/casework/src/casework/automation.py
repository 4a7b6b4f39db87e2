"""What events do to families and cases: alerts take the automatic steps, contact changes regroup families."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.events.alerts import AlertRaised
from attendance_common.events.registers import Contact
from casework import cases, plans
from casework.families import family_key, stored_contacts
from casework.models import Alert, Case, CasePupil, Pupil, Referral
from casework.steps import HOLDING_STAGE, STEPS, raises, stage_wanted


async def ensure_pupil(
    session: AsyncSession, school_urn: str, upn: str, la_code: str | None, secret: str
) -> Pupil:
    """The enrolment, created as a family of one when an alert names it before its pupil event."""
    return (await ensure_pupils(session, [(school_urn, upn, la_code)], secret))[(school_urn, upn)]


async def ensure_pupils(
    session: AsyncSession, enrolments: Sequence[tuple[str, str, str | None]], secret: str
) -> dict[tuple[str, str], Pupil]:
    """`ensure_pupil` for each (school URN, UPN, LA code), in one query and at most one flush."""
    upns = {upn for _, upn, _ in enrolments}
    found = await session.scalars(select(Pupil).where(Pupil.upn.in_(upns)))
    pupils = {(p.school_urn, p.upn): p for p in found}
    created = False
    for school_urn, upn, la_code in enrolments:
        pupil = pupils.get((school_urn, upn))
        if pupil is None:
            created = True
            pupils[school_urn, upn] = pupil = Pupil(
                school_urn=school_urn,
                upn=upn,
                la_code=la_code,
                family_key=family_key(secret, upn, []),
                contacts=[],
            )
            session.add(pupil)
        elif la_code and pupil.la_code != la_code:
            pupil.la_code = la_code
    if created:
        await session.flush()
    return pupils


async def alerts_raised(session: AsyncSession, raised: Sequence[AlertRaised], secret: str) -> None:
    """Record each alert, link it to its family's open case, and take its automatic step: one after
    another in effect, in a few statements for the run (the morning's first-day alerts come in runs)."""
    known = set(await session.scalars(select(Alert.id).where(Alert.id.in_([a.alert_id for a in raised]))))
    fresh = []
    for data in raised:
        if data.alert_id not in known:
            known.add(data.alert_id)
            fresh.append(data)
    if not fresh:
        return  # the same alerts delivered again (a replay or a re-publish): their steps are taken
    pupils = await ensure_pupils(session, [(a.school_urn, a.upn, a.la_code) for a in fresh], secret)
    families = {p.family_key for p in pupils.values()}
    open_cases = await session.scalars(
        select(Case).where(Case.family_key.in_(families), Case.status == "open")
    )
    case_of: dict[str, Case | None] = {case.family_key: case for case in open_cases}
    for data in fresh:
        pupil = pupils[data.school_urn, data.upn]
        case = case_of.get(pupil.family_key)
        alert = Alert(
            id=data.alert_id,
            type=data.type,
            school_urn=data.school_urn,
            upn=data.upn,
            status="open",
            raised_at=data.raised_at,
            case_id=None if case is None else case.id,
        )
        session.add(alert)
        if alert.type in STEPS:
            await session.flush()
            case_of[pupil.family_key] = await take_steps(session, pupil, [alert]) or case
    await session.flush()


async def alerts_cleared(session: AsyncSession, cleared: dict[str, dt.datetime]) -> None:
    """The alerts stop holding (alert id -> when): their cases show them as cleared; nothing moves a
    case back by itself."""
    for alert in await session.scalars(select(Alert).where(Alert.id.in_(cleared))):
        alert.status, alert.cleared_at = "cleared", cleared[alert.id]
    await session.flush()


async def take_steps(session: AsyncSession, pupil: Pupil, alerts: list[Alert]) -> Case | None:
    """Open or raise the family's case and make the referrals these alerts call for (api.md "Casework");
    the family's open case they used, or None when they call for nothing."""
    triggering = [a for a in alerts if a.type in STEPS and a.status == "open"]
    if not triggering:
        return None
    wanted = stage_wanted([a.type for a in triggering])
    # The case history names the alert that asked for the stage (or the first, when none did).
    reason = next((a.type for a in triggering if STEPS[a.type].at_least == wanted), triggering[0].type)
    case = await cases.open_case_of(session, pupil.family_key)
    if case is None:
        case = await cases.open_case(
            session, pupil.family_key, stage=wanted or HOLDING_STAGE, reason=reason, by=cases.SYSTEM
        )
    elif raises(case.stage, wanted):
        assert wanted is not None
        await cases.change_stage(session, case, wanted, reason=reason, by=cases.SYSTEM)
    for alert in triggering:
        alert.case_id = case.id
        referral = STEPS[alert.type].referral
        made = await session.scalar(select(Referral.id).where(Referral.alert_id == alert.id))
        if referral and made is None:
            await cases.refer(session, case, reason=referral, upn=alert.upn, alert_id=alert.id)
    await session.flush()
    return case


async def pupil_changed(
    session: AsyncSession,
    *,
    school_urn: str,
    la_code: str,
    upn: str,
    contacts: list[Contact],
    secret: str,
) -> None:
    """Keep the pupil's contacts and family; a new family moves the pupil to that family's case."""
    pupil = await ensure_pupil(session, school_urn, upn, la_code, secret)
    pupil.contacts = stored_contacts(contacts)
    members = await session.scalars(
        select(CasePupil).where(CasePupil.school_urn == school_urn, CasePupil.upn == upn)
    )
    for member in members:
        member.la_code = la_code
    new_key = family_key(secret, upn, contacts)
    if new_key != pupil.family_key:
        old_key, pupil.family_key = pupil.family_key, new_key
        await session.flush()
        await regroup(session, pupil, old_key)
    await session.flush()


async def regroup(session: AsyncSession, pupil: Pupil, old_key: str) -> None:
    """Move the pupil from its old family's open case to its new family's.

    A case that would be left with nobody follows the pupil when the new family has no case (the
    family is the same, its email changed); if the new family has its own case, it is closed.
    """
    old_case = await cases.open_case_of(session, old_key)
    new_case = await cases.open_case_of(session, pupil.family_key)
    if old_case is not None:
        others = await session.scalar(
            select(func.count())
            .select_from(CasePupil)
            .where(
                CasePupil.case_id == old_case.id,
                (CasePupil.school_urn != pupil.school_urn) | (CasePupil.upn != pupil.upn),
            )
        )
        if others:
            await cases.leave(session, old_case, pupil)
        elif new_case is None:
            old_case.family_key = pupil.family_key
            await session.flush()
            await _join_family(session, old_case)
            new_case = old_case
        else:
            # Closed with the pupil still in it, so the record stays visible to its school; its
            # active plans end with it (the new family's case is where support goes on).
            await plans.end_active(session, old_case, outcome="other", by=cases.SYSTEM)
            await cases.close(
                session,
                old_case,
                outcome="other",
                note="its pupils joined another family's case after a change of contacts",
                by=cases.SYSTEM,
            )
    if new_case is not None:
        await cases.join(session, new_case, pupil)
    open_alerts = await session.scalars(
        select(Alert).where(
            Alert.school_urn == pupil.school_urn, Alert.upn == pupil.upn, Alert.status == "open"
        )
    )
    # The pupil's open alerts take their steps in its new family (a case, a stage, no referral twice).
    await take_steps(session, pupil, list(open_alerts))


async def _join_family(session: AsyncSession, case: Case) -> None:
    """Everyone now in the case's family is in the case."""
    for pupil in list(await session.scalars(select(Pupil).where(Pupil.family_key == case.family_key))):
        await cases.join(session, case, pupil)
