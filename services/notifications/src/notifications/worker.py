"""The notifications worker: projections and triggers from events, and the delivery loop that sends."""

from __future__ import annotations

import asyncio

from attendance_common.clock import Clock, now_utc
from attendance_common.db import Database
from attendance_common.events.base import (
    ALERTS_TOPIC,
    CASES_TOPIC,
    MARKS_TOPIC,
    PUPILS_TOPIC,
    REQUESTS_TOPIC,
)
from attendance_common.logging import configure_logging
from attendance_common.messaging import ConsumerSpec, Worker, run_worker
from notifications import la_streams
from notifications.delivery.dispatch import Dispatcher
from notifications.handlers import BATCH_HANDLERS, HANDLERS, MARK_HANDLERS, MARK_READERS
from notifications.settings import Settings
from notifications.updates.scheduler import UpdateScheduler

# Pupils, families' requests, alerts and cases in one group: a trigger that overtakes its pupil's
# event waits for it in the same consumer (delivery.triggers.route_waiting), and a first-day alert and the
# parent's report of that absence are applied one after the other, never at once. Marks, many and
# heavy, get their own group so a school's morning register never delays a first-day message. A
# fetch's runs of alerts are applied set-based (BATCH_HANDLERS): a few statements per run.
CONSUMER = ConsumerSpec(
    name="notifications",
    topics=(PUPILS_TOPIC, REQUESTS_TOPIC, ALERTS_TOPIC, CASES_TOPIC),
    handlers=HANDLERS,
    batch_handlers=BATCH_HANDLERS,
    max_records=200,
)
MARKS_CONSUMER = ConsumerSpec(
    name="notifications-marks",
    topics=(MARKS_TOPIC,),
    handlers=MARK_HANDLERS,
    readers=MARK_READERS,
    max_records=20,
)

# Each LA's own topic (la_streams.py), in a group of its own: its progress and its inbox are apart
# from the deliveries', so neither holds the other up, and what an LA's topic carries does not
# depend on webhook routing.
LA_STREAM_CONSUMER = ConsumerSpec(
    name="notifications-la-streams",
    topics=la_streams.TOPICS,
    handlers=la_streams.HANDLERS,
    batch_handlers=la_streams.BATCH_HANDLERS,
    max_records=500,
)


def make_worker(
    settings: Settings | None = None, dispatcher: Dispatcher | None = None, clock: Clock = now_utc
) -> Worker:
    """`clock`: what the weekly updates ask for the time (a test's own, to cross a clock change)."""
    settings = settings or Settings()
    configure_logging(settings.service, level=settings.log_level, json=settings.log_json)
    database = Database(settings.resolved_database_url)
    dispatcher = dispatcher or Dispatcher(settings, database)

    async def deliver(stop: asyncio.Event) -> None:
        try:
            await dispatcher.run(stop)
        finally:
            await dispatcher.close()

    updates = UpdateScheduler(settings, database, clock)
    return Worker(
        settings,
        database,
        consumers=[CONSUMER, MARKS_CONSUMER, LA_STREAM_CONSUMER],
        background={"delivery": deliver, "attendance_updates": updates.run},
    )


def main() -> None:
    run_worker(make_worker)


if __name__ == "__main__":
    main()
