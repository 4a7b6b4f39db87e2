"""A service's worker process: ensures topics, runs its relay and consumers, stops on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer

from attendance_common.db import Database
from attendance_common.events.base import TOPICS
from attendance_common.events.catalog import Reader
from attendance_common.messaging.consumer import BatchHandler, EventConsumer, Handler
from attendance_common.messaging.kafka import ensure_topics, make_producer
from attendance_common.messaging.relay import OutboxRelay
from attendance_common.metrics import serve_metrics
from attendance_common.runtime import tune_gc
from attendance_common.settings import ServiceSettings
from attendance_common.tracing import configure_tracing

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ConsumerSpec:
    """One consumer group of a service: its name (also its inbox key), topics and handlers by type."""

    name: str
    topics: tuple[str, ...]
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    # Set-based handlers for some of those types: a fetch's consecutive events of such a type are
    # applied in one call (see EventConsumer).
    batch_handlers: Mapping[str, BatchHandler] = field(default_factory=dict)
    # A type's payload as its handler takes it, when not the event model (see catalog.Reader); the
    # event's own `data` is then left empty (its handler reads only that view).
    readers: Mapping[str, Reader] = field(default_factory=dict)
    # Records per fetch, all applied in one transaction: keep it small when records are batches.
    max_records: int = 500
    # Lanes: records of `lane_topics` are split by key into `lanes` transactions applied at once,
    # after the fetch's other records. Only for topics whose events of different keys touch
    # different rows (e.g. marks keyed by school), so lanes never wait on each other.
    lanes: int = 1
    lane_topics: tuple[str, ...] = ()

    def consumer(
        self, database: Database, settings: ServiceSettings, producer: AIOKafkaProducer
    ) -> EventConsumer:
        """The consumer this spec describes (its fields are EventConsumer's arguments of the same
        names), on the worker's database, settings and producer."""
        own = {f.name: getattr(self, f.name) for f in fields(self)}
        return EventConsumer(**own, database=database, settings=settings, producer=producer)


# A service's own loop run beside its consumers (e.g. notifications' delivery loop): it gets the
# worker's stop event and must return soon after it is set.
Background = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class Worker:
    """The relay plus the consumers of one service, sharing one producer and one database."""

    def __init__(
        self,
        settings: ServiceSettings,
        database: Database,
        consumers: list[ConsumerSpec],
        background: Mapping[str, Background] | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.specs = consumers
        self.background = dict(background or {})
        self.stop = asyncio.Event()
        self.relay: OutboxRelay | None = None
        self.consumers: list[EventConsumer] = []

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        """Topics the outbox names beyond the shared ones (an LA's own), created on first use;
        an unreachable broker raises soon, and the relay retries."""
        await ensure_topics(self.settings, topics, wait_seconds=0)

    async def run(self, *, shutdown_seconds: float | None = None) -> None:
        """Run until `stop` is set; then let consumers finish their batch (and commit its offsets)
        and the relay flush, for at most `shutdown_seconds` (default: the setting), then cancel."""
        bound = self.settings.shutdown_seconds if shutdown_seconds is None else shutdown_seconds
        configure_tracing(self.settings.service, self.settings.otel_exporter_otlp_endpoint)
        await ensure_topics(self.settings)
        producer = make_producer(self.settings)
        await producer.start()
        try:
            self.relay = OutboxRelay(
                self.database,
                producer,
                batch_size=self.settings.relay_batch_size,
                poll_seconds=self.settings.relay_poll_seconds,
                idle_poll_seconds=self.settings.relay_idle_poll_seconds,
                service=self.settings.service,
                ensure_topics=self.ensure_topics,
                ready_topics=TOPICS,
            )
            self.consumers = [spec.consumer(self.database, self.settings, producer) for spec in self.specs]
            tasks = [asyncio.create_task(self.relay.run(self.stop), name="relay")]
            tasks += [asyncio.create_task(c.run(self.stop), name=c.name) for c in self.consumers]
            tasks += [asyncio.create_task(run(self.stop), name=name) for name, run in self.background.items()]
            log.info(
                "worker_started",
                service=self.settings.service,
                consumers=[s.name for s in self.specs],
                background=sorted(self.background),
            )
            await _until_stop_or_failure(self.stop, tasks)
            log.info("worker_stopping", service=self.settings.service, within_seconds=bound)
            done, pending = await asyncio.wait(tasks, timeout=bound)
            for task in pending:
                log.warning("worker_task_cancelled", task=task.get_name(), after_seconds=bound)
                task.cancel()
            if pending:  # let the cancelled tasks run their `finally` (consumers leave the group)
                await asyncio.wait(pending, timeout=5)
            for task in done:
                if task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            await producer.stop()
            log.info("worker_stopped", service=self.settings.service)


async def _until_stop_or_failure(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    """Wait for a stop request, or for a task to die (then stop the rest: a half-worker is no worker)."""
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
    if stopper not in done:
        stopper.cancel()
        for task in done:
            log.error("worker_task_died", task=task.get_name(), error=repr(task.exception()))
    stop.set()


def run_worker(make_worker: Callable[[], Worker]) -> None:
    """Entry point: build the worker inside the loop, stop it cleanly on SIGTERM or SIGINT."""

    async def main() -> None:
        worker = make_worker()
        if worker.settings.worker_metrics_port is not None:
            serve_metrics(worker.settings.worker_metrics_port, worker.settings.worker_metrics_host)
        tune_gc()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, worker.stop.set)
        try:
            await worker.run()
        finally:
            await worker.database.dispose()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
