"""The delivery loop (in the worker process): sends due pending deliveries, records every attempt.

A batch is claimed in one short transaction (each row's `sending_at` set and leased for
`delivery_lease_seconds`, so a second worker skips them), sent with no transaction open, and the
outcomes recorded in another. Failures retry with exponential backoff up to
`delivery_max_attempts`, then `failed`; an unconfigured channel is `skipped` with the reason.

Not twice where it can be known: outcomes a failed recording left are recorded first on the next
round, never sent again. A claim whose lease ran out with `sending_at` still set (the worker died
between claiming and recording) may or may not have been sent; it counts as an attempt, so a send
that keeps killing its worker ends `failed` after `delivery_max_attempts`. An SMS is then looked
up at Notify by its reference (the delivery id) and sent only if Notify does not have it. SMTP
cannot be asked: the email is sent again with the same Message-ID (`<id>@attendance.notifications`,
which receivers deduplicate on), as a first-day contact lost is worse than one shown twice; a
webhook is sent again with the same `webhook-id` (Standard Webhooks receivers deduplicate).

Between rounds the loop sleeps until a delivery is inserted (a NOTIFY on `deliveries`, see
attendance_common.messaging.wake), the next retry falls due, or `delivery_idle_poll_seconds` at the
most; on SQLite, or while it cannot listen, it polls every `delivery_poll_seconds`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping

import structlog
from sqlalchemy import func, select

from attendance_common.clock import now_utc
from attendance_common.copying import copy_as
from attendance_common.db import Database
from attendance_common.messaging.consumer import is_transient
from attendance_common.messaging.wake import Wake
from notifications.delivery.channels import Outgoing, Sender, SendError, configured_senders
from notifications.delivery.deliveries import mark_failed, mark_sent, mark_skipped
from notifications.models import Delivery, Subscription
from notifications.settings import Settings

log = structlog.get_logger(__name__)
OUTCOME_LOST = "the worker stopped before recording this attempt's outcome"
CHANNEL = "deliveries"  # the NOTIFY channel of the deliveries table's trigger (migration 0011)
SHORTEST = 0.05  # seconds: the least a listening loop sleeps between rounds


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        senders: Mapping[str, Sender] | None = None,
        missing: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        if senders is None:
            senders, missing = configured_senders(settings)
        self.senders = dict(senders)
        self.missing = dict(missing or {})
        self.wake = Wake(database, CHANNEL)
        self.sent = 0
        self.failed = 0
        # Outcomes sent but not recorded yet (the recording failed): recorded before the next claim.
        self.held: list[tuple[Outgoing, SendError | None]] = []
        self.record_failures = 0

    def backoff(self, attempts: int) -> dt.timedelta:
        """Before retry number `attempts`: base, 2 x base, 4 x base... capped."""
        seconds = self.settings.delivery_backoff_seconds * 2 ** (attempts - 1)
        return dt.timedelta(seconds=min(seconds, self.settings.delivery_backoff_max_seconds))

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; an outage (database away) pauses the loop, it does not end it."""
        failures = 0
        try:
            while not stop.is_set():
                try:
                    handled = await self.run_once()
                    if handled < self.settings.delivery_batch_size:
                        await self.wake.wait(stop, await self.idle_seconds())
                    failures = 0
                except Exception as error:
                    failures += 1
                    delay = min(30.0, 0.2 * 2**failures)
                    log.warning("delivery_loop_failed", error=repr(error), retry_in=delay)
                    await _wait(stop, delay)
        finally:  # cancelled too: the listening connection goes
            await self.wake.close()
        if self.held:
            try:
                await self.record_held(now_utc())
            except Exception as error:
                log.warning("delivery_outcomes_unrecorded_at_stop", count=len(self.held), error=repr(error))

    async def idle_seconds(self) -> float:
        """How long to sleep after a round that found less than a batch: until the next retry is
        due (a notification wakes the loop for new deliveries), a second at the most; the short
        poll where the loop cannot listen."""
        if not await self.wake.listen():
            return self.settings.delivery_poll_seconds
        async with self.database.transaction() as session:
            due = await session.scalar(
                select(func.min(Delivery.next_attempt_at)).where(Delivery.status == "pending")
            )
        longest = self.settings.delivery_idle_poll_seconds
        # A due row this round could not claim is another worker's, being claimed: no spinning.
        return longest if due is None else min(longest, max(SHORTEST, (due - now_utc()).total_seconds()))

    async def run_once(self, now: dt.datetime | None = None) -> int:
        """Claim, send and record one batch of due deliveries; return how many were handled."""
        await self.record_held(now or now_utc())
        outgoing, handled = await self.claim(now or now_utc())
        if not outgoing:
            return handled
        results = await asyncio.gather(*(self.send(item) for item in outgoing))
        self.held = list(zip(outgoing, results, strict=True))
        await self.record_held(now or now_utc())
        return handled + len(outgoing)

    async def record_held(self, now: dt.datetime) -> None:
        """Record the held outcomes. While the database is away they are kept; a recording that
        fails otherwise `delivery_max_attempts` times is given up (logged), and its deliveries are
        treated as claims whose outcome was lost (see the module's docstring)."""
        if not self.held:
            return
        try:
            await self.record(self.held, now)
        except Exception as error:
            self.record_failures += 1
            if not is_transient(error) and self.record_failures >= self.settings.delivery_max_attempts:
                log.error(
                    "delivery_outcomes_dropped", deliveries=[i.id for i, _ in self.held], error=repr(error)
                )
                self.held, self.record_failures = [], 0
            raise
        self.held, self.record_failures = [], 0

    async def claim(self, now: dt.datetime) -> tuple[list[Outgoing], int]:
        """Claim due deliveries (committed before any is sent); also settle those whose earlier
        claim's outcome was lost. Returns what to send, and how many were settled without sending."""
        lease = now + dt.timedelta(seconds=self.settings.delivery_lease_seconds)
        outgoing: list[Outgoing] = []
        settled = 0
        async with self.database.transaction() as session:
            rows = await session.scalars(
                select(Delivery)
                .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
                .order_by(Delivery.next_attempt_at, Delivery.seq)
                .limit(self.settings.delivery_batch_size)
                .with_for_update(skip_locked=True)
            )
            for delivery in list(rows):
                reason = self.missing.get(delivery.channel)
                secret = None
                if delivery.channel == "webhook":
                    subscription = await session.get(Subscription, delivery.subscription_id or "")
                    secret = subscription.secret if subscription else None
                    reason = None if subscription else "the webhook subscription was deleted"
                elif delivery.channel not in self.senders and reason is None:
                    reason = f"no sender for channel {delivery.channel}"
                if reason is not None:
                    mark_skipped(delivery, reason)
                    settled += 1
                    continue
                lost = delivery.sending_at is not None
                if lost:
                    delivery.attempts, delivery.error, delivery.sending_at = (
                        delivery.attempts + 1,
                        OUTCOME_LOST,
                        None,
                    )
                    if delivery.attempts >= self.settings.delivery_max_attempts:
                        mark_failed(session, delivery, OUTCOME_LOST, now)
                        self.failed += 1
                        settled += 1
                        continue
                delivery.sending_at, delivery.next_attempt_at = now, lease
                outgoing.append(copy_as(Outgoing, delivery, secret=secret, check_first=delivery.attempts > 0))
        return outgoing, settled

    async def send(self, item: Outgoing) -> SendError | None:
        try:
            await self.senders[item.channel].send(item)
        except SendError as error:
            return error
        except Exception as error:  # a sender bug must not lose the outcome of the rest of the batch
            log.exception("sender_crashed", channel=item.channel, delivery=item.id)
            return SendError(f"unexpected error: {error!r}")
        return None

    async def record(self, outcomes: list[tuple[Outgoing, SendError | None]], now: dt.datetime) -> None:
        async with self.database.transaction() as session:
            # One query for the round (hundreds of emails when a school's updates go out).
            ids = [item.id for item, _ in outcomes]
            found = {d.id: d for d in await session.scalars(select(Delivery).where(Delivery.id.in_(ids)))}
            for item, error in outcomes:
                delivery = found.get(item.id)
                if delivery is None or delivery.status == "sent":  # recorded already (a lookup)
                    continue
                delivery.attempts += 1
                delivery.sending_at = None
                if error is None:
                    mark_sent(session, delivery, now)  # even if it was cleared meanwhile: it went
                    self.sent += 1
                elif delivery.status != "pending":
                    delivery.error = str(error)[:2000]  # cleared meanwhile: stays skipped
                elif error.permanent or delivery.attempts >= self.settings.delivery_max_attempts:
                    mark_failed(session, delivery, str(error), now)
                    self.failed += 1
                    log.warning("delivery_failed", delivery=item.id, channel=item.channel, error=str(error))
                else:
                    delivery.error = str(error)[:2000]
                    delivery.next_attempt_at = now + self.backoff(delivery.attempts)

    async def close(self) -> None:
        for sender in self.senders.values():
            close = getattr(sender, "close", None)
            if close is not None:
                await close()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
