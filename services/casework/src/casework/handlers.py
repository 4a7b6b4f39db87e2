"""Event handlers: decode, then call the use case. One transaction per consumed batch (the consumer's)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.events.alerts import AlertCleared, AlertRaised
from attendance_common.events.registers import PupilUpserted
from attendance_common.messaging import Handler, Received
from casework import automation
from casework.settings import Settings


def make_handlers(settings: Settings) -> dict[str, Handler]:
    """Handlers by event type; the family-key secret comes from the settings, never from an event."""
    secret = settings.family_key_secret

    async def on_pupil(session: AsyncSession, received: Received) -> None:
        data = received.data
        assert isinstance(data, PupilUpserted)
        await automation.pupil_changed(
            session,
            school_urn=data.school_urn,
            la_code=data.la_code,
            upn=data.upn,
            contacts=data.contacts,
            secret=secret,
        )

    async def on_alert_raised(session: AsyncSession, received: Received) -> None:
        data = received.data
        assert isinstance(data, AlertRaised)
        await automation.alert_raised(
            session,
            alert_id=data.alert_id,
            alert_type=data.type,
            school_urn=data.school_urn,
            la_code=data.la_code,
            upn=data.upn,
            raised_at=data.raised_at,
            secret=secret,
        )

    async def on_alert_cleared(session: AsyncSession, received: Received) -> None:
        data = received.data
        assert isinstance(data, AlertCleared)
        await automation.alert_cleared(session, alert_id=data.alert_id, cleared_at=data.cleared_at)

    return {
        PupilUpserted.event_type: on_pupil,
        AlertRaised.event_type: on_alert_raised,
        AlertCleared.event_type: on_alert_cleared,
    }
