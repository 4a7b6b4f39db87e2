"""Running a worker inside a test, and waiting for what it eventually does."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TypeVar

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from attendance_common.messaging import Worker
from attendance_common.messaging.kafka import ensure_topics, make_consumer

T = TypeVar("T")
log = structlog.get_logger(__name__)


@asynccontextmanager
async def running(worker: Worker, *, from_now: bool = False) -> AsyncIterator[asyncio.Task[None]]:
    """Run the worker as a task for the block; stop it cleanly (batch finished, outbox flushed) after.

    `from_now`: its consumer groups are the test's own (named after its database: a worker
    restarted later on the same database takes the same groups) and first skip what the session's
    broker already holds, so a test that starts the service afresh waits only for its own events
    and no earlier test's member of a shared group can hold its join up. Enter it before the test
    publishes anything."""
    if from_now:
        await skip_to_end(worker)
    _own_groups(worker, fresh=False)  # a restart on a skipped worker's database rejoins its groups
    task = asyncio.create_task(worker.run())
    try:
        yield task
    finally:
        worker.stop.set()
        try:
            await asyncio.wait_for(task, timeout=30)
        finally:
            await worker.database.dispose()


# The database URL of each from_now worker -> the suffix of the consumer groups it took.
_GROUPS: dict[str, str] = {}


def _own_groups(worker: Worker, *, fresh: bool) -> None:
    if fresh:
        _GROUPS.setdefault(worker.database.url, uuid.uuid4().hex[:8])
    suffix = _GROUPS.get(worker.database.url)
    if suffix is not None:
        worker.specs = [
            spec if spec.name.endswith(f"-{suffix}") else replace(spec, name=f"{spec.name}-{suffix}")
            for spec in worker.specs
        ]


async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    what: str,
    tasks: tuple[asyncio.Task[None], ...] = (),
    timeout: float = 60,
) -> T:
    """Poll `check` until it answers something truthy; fail early if a worker task died."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        for task in tasks:
            if task.done():
                raise AssertionError(f"a worker stopped while waiting for {what}: {task.exception()!r}")
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.1)


async def skip_to_end(worker: Worker, *, timeout: float = 20, attempts: int = 3) -> None:
    """Commit each of the worker's consumer groups at the end of its topics: join the group alone
    (as the worker would, in groups of its own: see `running`), wait until it holds every partition,
    read to the end, commit, leave.

    Each group's whole skip, joining and leaving included, is bounded and tried again on a fresh
    consumer: a join that Tansu never completes must fail the test in time, not hang it past its
    timeout (whose interruption would leave this test's workers running into the next tests)."""
    _own_groups(worker, fresh=True)
    await ensure_topics(worker.settings, {topic for spec in worker.specs for topic in spec.topics})
    for spec in worker.specs:
        for attempt in range(1, attempts + 1):
            try:
                async with asyncio.timeout(timeout):
                    await _skip_group(worker, spec.name, spec.topics)
                break
            except TimeoutError:
                log.warning("skip_to_end_timed_out", group=spec.name, attempt=attempt, timeout=timeout)
                if attempt == attempts:
                    raise


async def _skip_group(worker: Worker, group: str, topics: tuple[str, ...]) -> None:
    consumer = make_consumer(worker.settings, group, topics)
    try:  # stopped however it ends: a start cut short by the timeout would stay in the group
        await consumer.start()
        while not (every := all_partitions(consumer, topics)) or consumer.assignment() != every:
            await consumer.getmany(timeout_ms=100)
        # Seek to the end, then read on to it: Tansu answers a log end short of a batch's last
        # records (the first record's offset + 1), where Kafka answers the true end.
        await consumer.seek_to_end()
        ends = await consumer.end_offsets(list(every))
        while await consumer.getmany(timeout_ms=300) or await short_of(consumer, ends):
            pass
        await consumer.commit({partition: await consumer.position(partition) for partition in every})
    finally:
        await consumer.stop()


async def short_of(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    return any([await consumer.position(partition) < end for partition, end in ends.items()])


def all_partitions(consumer: AIOKafkaConsumer, topics: tuple[str, ...]) -> set[TopicPartition]:
    return {
        TopicPartition(topic, partition)
        for topic in topics
        for partition in consumer.partitions_for_topic(topic) or ()
    }
