"""Parents' preferences (api.md "Keeping parents informed"): email, SMS and attendance updates, all
on unless the parent turns them off. They apply to every trigger but `first_day_absence`, a
safeguarding contact that always goes out on every configured channel. A delivery a parent opted
out of is recorded `skipped` with error `opted_out`, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.bulk import any_of
from notifications.models import Contact, Pupil
from notifications.updates.models import ParentPreferences
from notifications.updates.rules import KIND

if TYPE_CHECKING:  # deliveries.write_new calls hold_back: imported there, not here
    from notifications.delivery.deliveries import NewDeliveries

OPTED_OUT = "opted_out"
ALWAYS_SENT = "first_day_absence"


@dataclass(frozen=True)
class Preferences:
    email: bool = True
    sms: bool = True
    attendance_updates: bool = True


DEFAULT = Preferences()


def opted_out(preferences: Preferences, trigger: str, channel: str) -> bool:
    """Whether the parent has turned this message off on this channel."""
    if trigger == ALWAYS_SENT:
        return False
    if trigger == KIND and not preferences.attendance_updates:
        return True
    return (channel == "email" and not preferences.email) or (channel == "sms" and not preferences.sms)


async def of_parent(session: AsyncSession, email: str) -> tuple[Preferences, bool]:
    """The parent's preferences, and whether they have stored any."""
    row = await session.get(ParentPreferences, email)
    return (_from_row(row), True) if row else (DEFAULT, False)


async def put(session: AsyncSession, email: str, preferences: Preferences, now: dt.datetime) -> bool:
    """Store the parent's preferences; True when they had none stored before."""
    row = await session.get(ParentPreferences, email)
    created = row is None
    if row is None:
        row = ParentPreferences(email=email)
        session.add(row)
    row.by_email, row.by_sms = preferences.email, preferences.sms
    row.attendance_updates, row.updated_at = preferences.attendance_updates, now
    return created


def _from_row(row: ParentPreferences) -> Preferences:
    return Preferences(email=row.by_email, sms=row.by_sms, attendance_updates=row.attendance_updates)


async def hold_back(session: AsyncSession, staged: Sequence[NewDeliveries]) -> None:
    """Before staged deliveries are written: those to parents who opted out become `skipped`
    (`opted_out`), and an app message they opted out of is not put in their feed. No query at all
    for first-day contacts, or when no parent has stored preferences for these."""
    wanted = [
        (new, once)
        for new in staged
        if new.trigger.kind != ALWAYS_SENT
        for once in new.rows
        if once[1] == "parent" and new.rows[once]["status"] in ("pending", "sent")
    ]
    if not wanted:
        return
    emails = await _emails_of_phones(session, [(new, once) for new, once in wanted if once[0] == "sms"])
    addresses = {once[2] for _, once in wanted if once[0] != "sms"} | {
        e for es in emails.values() for e in es
    }
    stored = await _stored(session, addresses)
    if not stored:
        return
    for new, once in wanted:
        owners = emails.get((new.trigger.upn, once[2]), ()) if once[0] == "sms" else (once[2],)
        if any(opted_out(stored.get(owner, DEFAULT), new.trigger.kind, once[0]) for owner in owners):
            new.rows[once].update(
                status="skipped", error=OPTED_OUT, attempts=0, sent_at=None, next_attempt_at=None
            )
            new.messages.pop(once, None)


async def _stored(session: AsyncSession, emails: Iterable[str]) -> dict[str, Preferences]:
    emails = sorted(emails)
    if not emails:
        return {}
    dialect = (await session.connection()).dialect.name
    rows = await session.scalars(
        select(ParentPreferences).where(any_of(ParentPreferences.email, emails, dialect))
    )
    return {row.email: _from_row(row) for row in rows}


async def _emails_of_phones(
    session: AsyncSession, sms: Sequence[tuple[NewDeliveries, tuple[str, str, str]]]
) -> dict[tuple[str, str], list[str]]:
    """(upn, phone) -> the emails of the pupil's contacts with that phone: a parent's preferences
    are kept by the email they sign in with, an SMS is addressed to their phone."""
    if not sms:
        return {}
    dialect = (await session.connection()).dialect.name
    rows = await session.execute(
        select(Pupil.upn, Contact.phone, Contact.email)
        .join(Contact, Contact.pupil_id == Pupil.id)
        .where(
            any_of(Pupil.upn, sorted({new.trigger.upn for new, _ in sms}), dialect),
            any_of(Contact.phone, sorted({once[2] for _, once in sms}), dialect),
            Contact.email.is_not(None),
        )
    )
    found: dict[tuple[str, str], list[str]] = {}
    for upn, phone, email in rows:
        if phone and email:
            found.setdefault((upn, phone), []).append(email)
    return found
