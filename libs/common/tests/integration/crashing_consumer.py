"""Consumes as a group and dies (os._exit) at the offset commit that follows applying a given URN.

Run by test_spine: the database commit has happened, the offset commit never does.
Usage: python crashing_consumer.py DATABASE_URL BOOTSTRAP GROUP URN
"""

from __future__ import annotations

import asyncio
import os
import sys

from spine_tables import apply_school

from attendance_common.db import Database
from attendance_common.events.base import PUPILS_TOPIC
from attendance_common.events.registers import SchoolUpserted
from attendance_common.messaging import EventConsumer, Received
from attendance_common.messaging.kafka import make_producer
from attendance_common.settings import ServiceSettings
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS

CRASH_EXIT_CODE = 17


async def main(url: str, bootstrap: str, group: str, urn: str) -> None:
    settings = ServiceSettings(
        service="spine",
        database_url=url,
        kafka_bootstrap_servers=bootstrap,
        **TEST_KAFKA_SETTINGS,  # type: ignore[arg-type]
    )
    database = Database(settings.resolved_database_url)
    applied_target = False

    async def apply_and_watch(session, received: Received) -> None:  # type: ignore[no-untyped-def]
        nonlocal applied_target
        await apply_school(session, received)
        applied_target = applied_target or received.data.urn == urn  # type: ignore[attr-defined]

    class CrashingConsumer(EventConsumer):
        async def commit_offsets(self, consumer, offsets):  # type: ignore[no-untyped-def]
            if applied_target:
                os._exit(CRASH_EXIT_CODE)  # as kill -9 would: no cleanup, no offset commit
            await super().commit_offsets(consumer, offsets)

    producer = make_producer(settings)
    await producer.start()
    consumer = CrashingConsumer(
        name=group,
        topics=[PUPILS_TOPIC],
        handlers={SchoolUpserted.event_type: apply_and_watch},
        database=database,
        settings=settings,
        producer=producer,
    )
    await consumer.run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
