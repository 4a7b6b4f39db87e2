"""The casework worker: consumes pupils (families) and alerts (automatic steps); relays case events;
once a school-local day, reminds of overdue plan reviews (plan_reminders.py)."""

from __future__ import annotations

from attendance_common.clock import now_utc
from attendance_common.db import Database
from attendance_common.events.base import ALERTS_TOPIC, PUPILS_TOPIC
from attendance_common.logging import configure_logging
from attendance_common.messaging import ConsumerSpec, Worker, run_worker
from casework import plan_reminders
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


def make_worker(settings: Settings | None = None, clock: plan_reminders.Clock | None = None) -> Worker:
    """`clock`: what the scheduled work takes as now (tests inject one)."""
    settings = settings or Settings()
    configure_logging(settings.service, level=settings.log_level, json=settings.log_json)
    database = Database(settings.resolved_database_url)
    reminders = plan_reminders.daily(
        database, clock or now_utc, poll_seconds=settings.plan_review_poll_seconds
    )
    return Worker(
        settings,
        database,
        consumers=[consumer_spec(settings)],
        background={"plan_review_reminders": reminders},
    )


def main() -> None:
    run_worker(make_worker)


if __name__ == "__main__":
    main()
