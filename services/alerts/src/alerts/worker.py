"""The alerts worker: consumes pupils and marks, keeps each pupil's state, raises and clears alerts."""

from __future__ import annotations

from alerts.handlers import HANDLERS, READERS
from alerts.settings import Settings
from attendance_common.db import Database
from attendance_common.events.base import MARKS_TOPIC, PUPILS_TOPIC
from attendance_common.logging import configure_logging
from attendance_common.messaging import ConsumerSpec, Worker, run_worker

# One group for both topics: a pupil's projection and marks are applied by one consumer, so the
# social-worker flag a rule reads is the one its own transaction sees (pupil events of a fetch are
# applied first, alone). A marks event carries up to 1,000 marks; marks are keyed by school and a
# school's marks touch only its own pupils' rows, so a fetch's marks go in two lanes (transactions
# at once, on PostgreSQL) of about 20 events each: one lane's Python runs while the other waits on
# the database.
CONSUMER = ConsumerSpec(
    name="alerts",
    topics=(PUPILS_TOPIC, MARKS_TOPIC),
    handlers=HANDLERS,
    readers=READERS,
    max_records=40,
    lanes=2,
    lane_topics=(MARKS_TOPIC,),
)


def make_worker(settings: Settings | None = None) -> Worker:
    settings = settings or Settings()
    configure_logging(settings.service, level=settings.log_level, json=settings.log_json)
    return Worker(settings, Database(settings.resolved_database_url), consumers=[CONSUMER])


def main() -> None:
    run_worker(make_worker)


if __name__ == "__main__":
    main()
