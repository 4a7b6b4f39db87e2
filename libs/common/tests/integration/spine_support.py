"""Helpers for the spine tests (a uniquely named module: every service has a `conftest`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from attendance_common.messaging import EventConsumer

HERE = Path(__file__).parent


def unique(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex[:10]


async def run_until(
    consumer: EventConsumer, done: Callable[[], Awaitable[bool]], *, timeout: float = 45
) -> None:
    """Run `consumer` until `done()` holds, then stop it; fail if that takes longer than `timeout`."""
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        async with asyncio.timeout(timeout):
            while not await done():
                if task.done():
                    task.result()
                    raise AssertionError("consumer stopped before the condition held")
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
