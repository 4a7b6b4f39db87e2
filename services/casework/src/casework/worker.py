"""The casework worker: consumes pupils (families) and alerts (automatic steps); relays case events."""

from __future__ import annotations

from attendance_common.db import Database
from attendance_common.events.base import ALERTS_TOPIC, PUPILS_TOPIC
from attendance_common.logging import configure_logging
from attendance_common.messaging import ConsumerSpec, Worker, run_worker
from casework.handlers import make_batch_handlers, make_handlers
from casework.settings import Settings


def consumer_spec(settings: Settings) -> ConsumerSpec:
    # One group for both topics: a family's membership and its alerts are applied by one consumer.
    return ConsumerSpec(
        name="casework",
        topics=(PUPILS_TOPIC, ALERTS_TOPIC),
        handlers=make_handlers(settings),
        batch_handlers=make_batch_handlers(settings),
    )


def make_worker(settings: Settings | None = None) -> Worker:
    settings = settings or Settings()
    configure_logging(settings.service, level=settings.log_level, json=settings.log_json)
    return Worker(settings, Database(settings.resolved_database_url), consumers=[consumer_spec(settings)])


def main() -> None:
    run_worker(make_worker)


if __name__ == "__main__":
    main()
