"""The registers worker: publishes the outbox (registers consumes nothing)."""

from __future__ import annotations

from attendance_common.db import Database
from attendance_common.logging import configure_logging
from attendance_common.messaging import Worker, run_worker
from registers.settings import Settings


def make_worker(settings: Settings | None = None) -> Worker:
    settings = settings or Settings()
    configure_logging(settings.service, level=settings.log_level, json=settings.log_json)
    return Worker(settings, Database(settings.resolved_database_url), consumers=[])


def main() -> None:
    run_worker(make_worker)


if __name__ == "__main__":
    main()
