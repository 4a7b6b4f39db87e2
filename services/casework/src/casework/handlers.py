"""Event handlers: decode, then call the use case. One transaction per consumed batch (the consumer's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.events.alerts import AlertCleared, AlertRaised
from attendance_common.events.registers import PupilUpserted, SchoolUpserted
from attendance_common.messaging import BatchHandler, Handler, Received, on, on_runs
from casework import automation, schools
from casework.settings import Settings


def make_batch_handlers(settings: Settings) -> dict[str, BatchHandler]:
    """Handlers for runs of consecutive alerts (the morning's first-day alerts come in runs): the
    same effects as one by one, in a few statements per run."""
    secret = settings.family_key_secret

    async def on_alerts_raised(session: AsyncSession, items: Sequence[Received[AlertRaised]]) -> None:
        await automation.alerts_raised(session, [item.data for item in items], secret)

    async def on_alerts_cleared(session: AsyncSession, items: Sequence[Received[AlertCleared]]) -> None:
        cleared: dict[str, dt.datetime] = {}
        for item in items:
            cleared.setdefault(item.data.alert_id, item.data.cleared_at)
        await automation.alerts_cleared(session, cleared)

    return on_runs(on_alerts_raised, AlertRaised) | on_runs(on_alerts_cleared, AlertCleared)


def make_handlers(settings: Settings) -> dict[str, Handler]:
    """Handlers by event type; the family-key secret comes from the settings, never from an event."""
    secret = settings.family_key_secret

    async def on_pupil(session: AsyncSession, received: Received[PupilUpserted]) -> None:
        data = received.data
        await automation.pupil_changed(
            session,
            school_urn=data.school_urn,
            la_code=data.la_code,
            upn=data.upn,
            contacts=data.contacts,
            secret=secret,
        )

    async def on_school(session: AsyncSession, received: Received[SchoolUpserted]) -> None:
        await schools.put_school(session, received.data)

    def one_at_a_time(batch: BatchHandler) -> Handler:
        async def handle(session: AsyncSession, received: Received) -> None:
            await batch(session, [received])

        return handle

    batches = make_batch_handlers(settings)
    own = on(on_pupil, PupilUpserted) | on(on_school, SchoolUpserted)
    return own | {kind: one_at_a_time(b) for kind, b in batches.items()}
