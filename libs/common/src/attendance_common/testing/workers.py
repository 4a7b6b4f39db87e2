"""Running a worker inside a test, and waiting for what it eventually does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from attendance_common.messaging import Worker

T = TypeVar("T")


@asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[asyncio.Task[None]]:
    """Run the worker as a task for the block; stop it cleanly (batch finished, outbox flushed) after."""
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
