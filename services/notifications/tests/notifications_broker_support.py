"""Helpers for notifications tests over the session's broker: running workers and waiting.

The broker's topics hold other tests' events: every check here filters by the test's own ids.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer

from attendance_common.messaging import Worker

T = TypeVar("T")


@asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[asyncio.Task[None]]:
    """Run the worker as a task for the block; stop it cleanly after."""
    task = asyncio.create_task(worker.run())
    try:
        yield task
    finally:
        worker.stop.set()
        try:
            await asyncio.wait_for(task, timeout=30)
        finally:
            await worker.database.dispose()


async def eventually(
    check: Callable[[], Awaitable[T]], *, what: str, tasks: tuple[asyncio.Task[None], ...] = (), timeout=60
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


async def published(
    bootstrap: str, topic: str, key: str, event_type: str, *, timeout: float = 30
) -> list[Any]:
    """The `data` of every record of `event_type` with this key on `topic`, read from the start."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[Any] = []
    try:
        async with asyncio.timeout(timeout):
            while not found:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found += [
                        json.loads(r.value)
                        for r in records
                        if r.key == key.encode() and dict(r.headers).get("ce_type") == event_type.encode()
                    ]
    finally:
        await consumer.stop()
    return found
