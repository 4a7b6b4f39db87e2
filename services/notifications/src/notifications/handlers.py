"""Event handlers: decode, then call the use case. One transaction per consumed batch (the consumer's).

Two consumer groups (see worker.py): `MARK_HANDLERS` keep the parent-facing marks; `HANDLERS` keep
pupils, contacts and families' absence reports, and turn alerts, deletions, referrals and the
school's decisions on families' requests into deliveries.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.clock import now_utc
from attendance_common.events.alerts import AlertCleared, AlertRaised
from attendance_common.events.casework import (
    PlanAgreed,
    PlanEnded,
    PlanReviewed,
    ReferralMade,
    SupportMeetingHeld,
)
from attendance_common.events.registers import (
    MARKS_READERS,
    MarksAmended,
    MarksFacts,
    MarksRecorded,
    PupilDeleted,
    PupilUpserted,
    SchoolUpserted,
)
from attendance_common.events.requests import (
    AbsenceReportDecided,
    AbsenceReportSubmitted,
    AbsenceReportWithdrawn,
    LeaveRequestDecided,
)
from attendance_common.messaging import Received, on, on_runs
from notifications import family_plans, projections
from notifications.delivery import family_reports, la_events, triggers


async def on_school(session: AsyncSession, received: Received[SchoolUpserted]) -> None:
    await projections.put_school(session, received.data)


async def on_pupil(session: AsyncSession, received: Received[PupilUpserted]) -> None:
    data = received.data
    await projections.upsert_pupil(session, data)
    await triggers.route_waiting(session, data.school_urn, data.upn, now_utc())


async def on_pupil_deleted(session: AsyncSession, received: Received[PupilDeleted]) -> None:
    """Off roll: the LA and the social worker are told (domain.md section 8)."""
    data = received.data
    await projections.mark_deleted(session, data)
    incoming = triggers.about(received.event, f"event:{received.event.id}", "pupil_deleted", data)
    await triggers.record_trigger(session, incoming, now_utc())


async def on_alert_raised(session: AsyncSession, received: Received[AlertRaised]) -> None:
    await triggers.record_trigger(session, alert_trigger(received, "alert"), now_utc())


async def on_alerts_raised(session: AsyncSession, items: Sequence[Received[AlertRaised]]) -> None:
    """A run of raised alerts at once (the consumer's batch handler): as `on_alert_raised` on each."""
    await triggers.record_triggers(session, [alert_trigger(item, "alert") for item in items], now_utc())


async def on_alert_cleared(session: AsyncSession, received: Received[AlertCleared]) -> None:
    await on_alerts_cleared(session, [received])


async def on_alerts_cleared(session: AsyncSession, items: Sequence[Received[AlertCleared]]) -> None:
    """Cleared alerts (one, or a run of them at once): messages not sent yet are not sent, the LA
    is told."""
    now = now_utc()
    reasons: dict[str, str | None] = {}
    for item in items:
        reasons.setdefault(item.data.alert_id, item.data.reason)
    await triggers.clear_alerts(session, reasons, now)
    await triggers.record_triggers(session, [alert_trigger(item, "cleared") for item in items], now)


def alert_trigger(received: Received[AlertRaised | AlertCleared], prefix: str) -> triggers.Incoming:
    """The trigger an alert event makes: `alert:<id>` when raised, `cleared:<id>` when cleared."""
    data = received.data
    return triggers.about(received.event, f"{prefix}:{data.alert_id}", data.type, data)


async def on_referral(session: AsyncSession, received: Received[ReferralMade]) -> None:
    """A case referred to the LA: a trigger per pupil it names (the referred one), each for that
    pupil's own LA, never the rest of the family."""
    named = la_events.referral_made(received.data)
    incomings = [
        triggers.about(
            received.event,
            f"event:{received.event.id}" if len(named) == 1 else f"event:{received.event.id}:{item.upn}",
            "referral_made",
            item,
        )
        for item in named
    ]
    await triggers.record_triggers(session, incomings, now_utc())


async def on_marks(session: AsyncSession, received: Received[MarksFacts]) -> None:
    """New or amended marks of one school (read by MARK_READERS)."""
    await projections.apply_marks(session, received.data)


async def on_absence_report(
    session: AsyncSession,
    received: Received[AbsenceReportSubmitted | AbsenceReportDecided | AbsenceReportWithdrawn],
) -> None:
    """A report's status; a parent who told the school is not chased, and hears of the decision."""
    data = received.data
    await family_reports.apply_report(session, data)
    if isinstance(data, AbsenceReportDecided):
        await triggers.record_trigger(session, decision_trigger(received, data, data.report_id), now_utc())


async def on_leave_decided(session: AsyncSession, received: Received[LeaveRequestDecided]) -> None:
    data = received.data
    await triggers.record_trigger(session, decision_trigger(received, data, data.request_id), now_utc())


def decision_trigger(
    received: Received[object], data: AbsenceReportDecided | LeaveRequestDecided, request_id: str
) -> triggers.Incoming:
    """`absence_report_decided:<id>` or `leave_request_decided:<id>`: a request is decided once."""
    kind = "leave_request_decided" if isinstance(data, LeaveRequestDecided) else "absence_report_decided"
    return triggers.about(received.event, f"{kind}:{request_id}", kind, data)


async def on_plan(session: AsyncSession, received: Received[PlanAgreed | PlanReviewed | PlanEnded]) -> None:
    """The parent app's plans follow the plan events; when a plan starts, each child's parents
    are told (`plan_agreed:<plan id>:<upn>`: once per plan and child), and each child's LA's
    webhooks that asked for the plan events hear of each (routing: the LA's thin event)."""
    data = received.data
    await family_plans.apply_plan(session, data)
    if not isinstance(data, PlanAgreed):
        await triggers.record_triggers(session, plan_la_triggers(received, data), now_utc())
        return
    incomings = [
        triggers.about(received.event, f"plan_agreed:{data.plan_id}:{pupil.upn}", "plan_agreed", pupil)
        for pupil in data.pupils
    ]
    await triggers.record_triggers(session, incomings, now_utc())


def plan_la_triggers(received: Received[object], data: PlanReviewed | PlanEnded) -> list[triggers.Incoming]:
    """A review or end of a plan, once per pupil of the family (`plan_reviewed:<review id>:<upn>`,
    `plan_ended:<plan id>:<upn>`): routed to that pupil's LA's webhooks alone."""
    if isinstance(data, PlanReviewed):
        kind, once = "plan_reviewed", data.review_id
    else:
        kind, once = "plan_ended", data.plan_id
    return [
        triggers.about(received.event, f"{kind}:{once}:{pupil.upn}", kind, pupil) for pupil in data.pupils
    ]


async def on_support_meeting(session: AsyncSession, received: Received[SupportMeetingHeld]) -> None:
    """A targeting support meeting: to the webhooks of the LA that held it with its school (about a
    school, not a pupil: the trigger's `upn` is empty)."""
    data = received.data
    incoming = triggers.Incoming(
        key=f"support_meeting_held:{data.meeting_id}",
        kind="support_meeting_held",
        event=received.event,
        school_urn=data.school_urn,
        la_code=data.la_code,
        upn="",
    )
    await triggers.record_trigger(session, incoming, now_utc())


HANDLERS = {
    **on(on_school, SchoolUpserted),
    **on(on_pupil, PupilUpserted),
    **on(on_pupil_deleted, PupilDeleted),
    **on(on_alert_raised, AlertRaised),
    **on(on_alert_cleared, AlertCleared),
    **on(on_referral, ReferralMade),
    **on(on_absence_report, AbsenceReportSubmitted),
    **on(on_absence_report, AbsenceReportDecided),
    **on(on_absence_report, AbsenceReportWithdrawn),
    **on(on_leave_decided, LeaveRequestDecided),
    **on(on_plan, PlanAgreed),
    **on(on_plan, PlanReviewed),
    **on(on_plan, PlanEnded),
    **on(on_support_meeting, SupportMeetingHeld),
}
# Set-based handlers for runs of consecutive alerts (the first-day morning peak): the same effects
# as the handlers above one by one, in a few statements per run.
BATCH_HANDLERS = {
    **on_runs(on_alerts_raised, AlertRaised),
    **on_runs(on_alerts_cleared, AlertCleared),
}
# Marks events are read as plain dicts of the fields the projection keeps, not their models.
MARK_HANDLERS = {MarksRecorded.event_type: on_marks, MarksAmended.event_type: on_marks}
MARK_READERS = MARKS_READERS
