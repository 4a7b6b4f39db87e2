"""Helpers for notifications tests over the session's broker: running workers and waiting.

The broker's topics hold other tests' events: every check here filters by the test's own ids.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiokafka import AIOKafkaConsumer


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
