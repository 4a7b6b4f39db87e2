"""Prometheus metrics of every service: one registry per process, served at `/metrics`.

APIs serve them on their own port; a worker serves them on `<SERVICE>_WORKER_METRICS_PORT` when set.
Labels are bounded: routes are templates (`/v1/schools/{urn}/marks`), never raw paths.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from sqlalchemy import event
from sqlalchemy.orm import Session

# Batches of up to 10,000 marks take seconds, so the buckets reach past the library's 10 s.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

HTTP_REQUEST_SECONDS = Histogram(
    "attendance_http_request_duration_seconds",
    "HTTP request latency by route template and status.",
    ["service", "method", "route", "status"],
    buckets=_LATENCY_BUCKETS,
)
EVENTS_PUBLISHED = Counter(
    "attendance_events_published",
    "Events the outbox relay published (broker acknowledged).",
    ["service", "topic", "type"],
)
EVENTS_CONSUMED = Counter(
    "attendance_events_consumed",
    "Events a consumer finished with: applied, skipped (already applied) or dead_lettered.",
    ["consumer", "topic", "type", "outcome"],
)
DEAD_LETTERED = Counter(
    "attendance_dead_lettered",
    "Records a consumer sent to `<topic>.dlq` (poison events and unreadable records).",
    ["consumer", "topic"],
)
CONSUMER_LAG = Gauge(
    "attendance_consumer_lag",
    "Records on the partition not yet consumed: the broker's high watermark minus the position.",
    ["consumer", "topic", "partition"],
)
# One sample per consumer: the label set of the previous type is removed when the type changes.
LAST_EVENT_APPLIED = Gauge(
    "attendance_last_event_applied_timestamp_seconds",
    "When the consumer last applied an event (Unix time), labelled with that event's type.",
    ["consumer", "type"],
)
OUTBOX_BACKLOG = Gauge(
    "attendance_outbox_backlog",
    "Outbox rows not yet published, as the relay last counted them.",
    ["service"],
)
MARKS_INGESTED = Counter(
    "attendance_marks_ingested",
    "Register marks posted to registers, by outcome: accepted, amended, unchanged, rejected.",
    ["outcome"],
)
NOTIFICATIONS = Counter(
    "attendance_notifications",
    "Notifications by channel (email, sms, webhook) and final status (sent, failed, skipped).",
    ["channel", "status"],
)


def count_on_commit(session: Session, counter: Counter, *labels: str) -> None:
    """Add one to `counter` if and when the session's transaction commits: an attempt that rolls
    back (and is retried) counts nothing."""
    pending: list[tuple[Counter, tuple[str, ...]]] | None = session.info.get("metrics_on_commit")
    if pending is None:
        pending = session.info["metrics_on_commit"] = []

        def committed(_session: Session) -> None:
            for each, values in pending:
                each.labels(*values).inc()
            pending.clear()

        event.listen(session, "after_commit", committed)
        event.listen(session, "after_rollback", lambda _session: pending.clear())
    pending.append((counter, labels))


def count_events(
    counter: Counter, labels: Iterable[tuple[str, ...]], *prefix: str, suffix: tuple[str, ...] = ()
) -> None:
    """Add one per item of `labels` (e.g. (topic, type)), one `inc` per distinct label set."""
    for label_values, count in Tally(labels).items():
        counter.labels(*prefix, *label_values, *suffix).inc(count)


def count_marks(accepted: int, amended: int, unchanged: int, rejected: int) -> None:
    """Count one committed batch of marks by outcome."""
    for outcome, count in (
        ("accepted", accepted),
        ("amended", amended),
        ("unchanged", unchanged),
        ("rejected", rejected),
    ):
        if count:
            MARKS_INGESTED.labels(outcome).inc(count)


def metrics_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def note_last_applied(consumer: str, event_type: str, previous: str | None) -> None:
    """Record that `consumer` just applied an event of `event_type` (after `previous`, if any)."""
    if previous is not None and previous != event_type:
        LAST_EVENT_APPLIED.remove(consumer, previous)
    LAST_EVENT_APPLIED.labels(consumer, event_type).set_to_current_time()


def serve_metrics(port: int, host: str = "0.0.0.0") -> None:
    """A worker's metrics endpoint: a small HTTP server on its own thread."""
    start_http_server(port, addr=host)
