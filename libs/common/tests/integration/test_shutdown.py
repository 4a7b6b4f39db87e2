"""SIGTERM to a worker process: the batch in flight commits, its offsets are committed, the
process exits cleanly within its shutdown bound; its metrics endpoint answers meanwhile."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from spine_support import HERE, unique
from spine_tables import effects_for
from stopping_worker import SHUTDOWN_SECONDS

from attendance_common.broker import free_port
from attendance_common.events.base import PUPILS_TOPIC
from attendance_common.events.registers import SchoolUpserted
from attendance_common.messaging import OutboxRelay, add_event

pytestmark = pytest.mark.integration


async def committed_offset(bootstrap: str, group: str, partition: int) -> int | None:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        return await reader.committed(TopicPartition(PUPILS_TOPIC, partition))
    finally:
        await reader.stop()


async def test_sigterm_lets_the_batch_in_flight_commit_and_the_worker_exit_within_its_bound(
    settings, database, producer
):
    urn, group, port = unique("z"), unique("stopping-"), free_port()
    async with database.transaction() as session:
        add_event(session, SchoolUpserted(urn=urn, name="Hill Primary", la_code="380"), source="spine")
    await OutboxRelay(database, producer).publish_pending()
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "stopping_worker.py"),
        settings.resolved_database_url,
        settings.kafka_bootstrap_servers,
        group,
        str(port),
        urn,
        stdout=asyncio.subprocess.PIPE,
    )
    assert worker.stdout is not None
    try:
        async with asyncio.timeout(60):
            while (applied := json.loads(await worker.stdout.readline()))["urn"] != urn:
                pass
        async with httpx.AsyncClient() as client:
            scraped = await client.get(f"http://127.0.0.1:{port}/metrics")
        assert "attendance_events_consumed_total" in scraped.text
        worker.send_signal(signal.SIGTERM)  # the handler has run; its transaction may still be open
        code = await asyncio.wait_for(worker.wait(), timeout=SHUTDOWN_SECONDS + 5)
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    assert code == 0
    async with database.transaction() as session:
        assert await effects_for(session, [urn]) == {urn: ["Hill Primary"]}
    committed = await committed_offset(settings.kafka_bootstrap_servers, group, applied["partition"])
    assert committed is not None and committed > applied["offset"]
