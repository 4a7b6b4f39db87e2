"""A worker (relay + one consumer) run as a real process, to be stopped with SIGTERM by test_shutdown.

It prints one JSON line per event it applies (inside the transaction, before the commit), so the
test can send SIGTERM while that batch is still in flight. Metrics are served on METRICS_PORT.
It applies only the school URN it is given: the topic holds other tests' events, poison included,
and a poison event in the batch would roll back the transaction the test is waiting on.
Usage: python stopping_worker.py DATABASE_URL BOOTSTRAP GROUP METRICS_PORT URN
"""

from __future__ import annotations

import json
import sys

from spine_tables import apply_school

from attendance_common.db import Database
from attendance_common.events.base import PUPILS_TOPIC
from attendance_common.events.registers import SchoolUpserted
from attendance_common.logging import configure_logging
from attendance_common.messaging import ConsumerSpec, Received, Worker, run_worker
from attendance_common.settings import ServiceSettings
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS

SHUTDOWN_SECONDS = 10


def main(url: str, bootstrap: str, group: str, metrics_port: str, urn: str) -> None:
    settings = ServiceSettings(
        service="spine",
        database_url=url,
        kafka_bootstrap_servers=bootstrap,
        shutdown_seconds=SHUTDOWN_SECONDS,
        worker_metrics_port=int(metrics_port),
        **TEST_KAFKA_SETTINGS,  # type: ignore[arg-type]
    )

    async def apply_and_tell(session, received: Received) -> None:  # type: ignore[no-untyped-def]
        if received.data.urn != urn:  # type: ignore[attr-defined]
            return
        await apply_school(session, received)
        line = {"urn": received.data.urn, "partition": received.partition, "offset": received.offset}  # type: ignore[attr-defined]
        print(json.dumps(line), flush=True)

    def make_worker() -> Worker:
        configure_logging(settings.service, level="INFO", json=False)
        spec = ConsumerSpec(
            name=group, topics=(PUPILS_TOPIC,), handlers={SchoolUpserted.event_type: apply_and_tell}
        )
        return Worker(settings, Database(settings.resolved_database_url), consumers=[spec])

    run_worker(make_worker)


if __name__ == "__main__":
    main(*sys.argv[1:6])
