"""The outbox relay: publishes unsent rows in id order and marks them sent only once the broker acks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

import structlog
from aiokafka import AIOKafkaProducer
from sqlalchemy import delete, func, select, update

from attendance_common.db import Database
from attendance_common.messaging.outbox import OutboxRow
from attendance_common.messaging.wake import Wake
from attendance_common.metrics import EVENTS_PUBLISHED, OUTBOX_BACKLOG, count_events

log = structlog.get_logger(__name__)
# Creates topics (and their `.dlq`) that do not exist yet: kafka.ensure_topics for the worker's settings.
EnsureTopics = Callable[[Sequence[str]], Awaitable[None]]
# The backlog gauge costs a count of unsent rows: taken every few seconds, not every poll.
BACKLOG_EVERY_SECONDS = 5.0


class OutboxRelay:
    """Moves a service's outbox to Kafka; at-least-once, in order per key (consumers dedupe)."""

    def __init__(
        self,
        database: Database,
        producer: AIOKafkaProducer,
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.05,
        idle_poll_seconds: float = 1.0,
        keep_sent_for: timedelta = timedelta(days=7),
        service: str = "service",
        ensure_topics: EnsureTopics | None = None,
        ready_topics: Iterable[str] = (),
    ) -> None:
        self.database = database
        self.producer = producer
        self.batch_size = batch_size
        # Between batches the relay sleeps until new rows commit (wake.py), or `idle_poll_seconds`
        # at the most; `poll_seconds` where it cannot listen (SQLite, the listener's connection down).
        self.poll_seconds = poll_seconds
        self.idle_poll_seconds = idle_poll_seconds
        self.wake = Wake(database)
        self.keep_sent_for = keep_sent_for
        self.service = service
        self.published = 0
        # Topics known to exist (the worker ensured them at start); a row for any other topic (an
        # LA's own, `attendance.la.{la_code}`) has it created before its first record is sent:
        # a broker may not create topics on produce (Kafka here does not; Tansu does, with its
        # own partition count and no `.dlq`).
        self.ensure_topics = ensure_topics
        self.ready_topics = set(ready_topics)

    async def publish_pending(self) -> int:
        """Publish one batch of unsent rows; return how many were published."""
        async with self.database.transaction() as session:
            # FOR UPDATE (a no-op on SQLite) serialises relays: a second one waits, then takes later rows.
            rows = (
                await session.scalars(
                    select(OutboxRow)
                    .where(OutboxRow.sent_at.is_(None))
                    .order_by(OutboxRow.id)
                    .limit(self.batch_size)
                    .with_for_update()
                )
            ).all()
            if not rows:
                return 0
            await self.create_new_topics(row.topic for row in rows)
            acks = []
            for row in rows:
                headers, value = row.to_kafka()
                acks.append(
                    await self.producer.send(row.topic, value=value, key=row.key.encode(), headers=headers)
                )
            await asyncio.gather(*acks)
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_([row.id for row in rows]))
                .values(sent_at=datetime.now(UTC))
            )
        self.published += len(rows)
        count_events(EVENTS_PUBLISHED, ((row.topic, row.event_type) for row in rows), self.service)
        return len(rows)

    async def create_new_topics(self, topics: Iterable[str]) -> None:
        """Create the topics not known to exist yet (each once per relay)."""
        if self.ensure_topics is None:
            return
        new = sorted(set(topics) - self.ready_topics)
        if new:
            await self.ensure_topics(new)
            self.ready_topics.update(new)
            log.info("outbox_topics_ready", topics=new)

    async def count_backlog(self) -> int:
        """Count the unsent rows (the partial index answers it) and set the backlog gauge."""
        async with self.database.transaction() as session:
            backlog = await session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.sent_at.is_(None))
            )
        OUTBOX_BACKLOG.labels(self.service).set(backlog or 0)
        return backlog or 0

    async def purge_sent(self) -> int:
        """Delete rows sent longer ago than `keep_sent_for`."""
        cutoff = datetime.now(UTC) - self.keep_sent_for
        async with self.database.transaction() as session:
            result = await session.execute(delete(OutboxRow).where(OutboxRow.sent_at < cutoff))
        return result.rowcount or 0  # type: ignore[attr-defined]

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set, backing off while the broker or database is unreachable."""
        failures = 0
        last_purge = asyncio.get_running_loop().time()
        last_count = last_purge - BACKLOG_EVERY_SECONDS
        try:
            while not stop.is_set():
                try:
                    published = await self.publish_pending()
                    # After the pass, so the gauge never shows rows this pass has just sent.
                    if asyncio.get_running_loop().time() - last_count >= BACKLOG_EVERY_SECONDS:
                        last_count = asyncio.get_running_loop().time()
                        await self.count_backlog()
                    failures = 0
                except Exception as error:  # the rows stay unsent: retry after a pause
                    failures += 1
                    delay = min(30.0, 0.2 * 2**failures)
                    log.warning("outbox_publish_failed", error=repr(error), retry_in=delay)
                    await _wait(stop, delay)
                    continue
                now = asyncio.get_running_loop().time()
                if now - last_purge > 3600:
                    last_purge = now
                    await self.purge_sent()
                if published < self.batch_size:
                    listening = await self.wake.listen()
                    await self.wake.wait(stop, self.idle_poll_seconds if listening else self.poll_seconds)
        finally:  # cancelled too (a shutdown past its bound): the listening connection goes
            await self.wake.close()
        await self.flush()

    async def flush(self, *, attempts: int = 20) -> None:
        """On shutdown, publish what is left (bounded, so a dead broker cannot hang the stop)."""
        for _ in range(attempts):
            try:
                if await self.publish_pending() == 0:
                    return
            except Exception as error:
                log.warning("outbox_flush_failed", error=repr(error))
                return


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
