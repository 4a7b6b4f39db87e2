"""Messaging: aiokafka producer and consumer, transactional outbox and relay, idempotent inbox, DLQ."""

from attendance_common.messaging.consumer import (
    BatchHandler,
    EventConsumer,
    Handler,
    Received,
    TransientError,
    on,
    on_runs,
)
from attendance_common.messaging.outbox import add_event, add_events
from attendance_common.messaging.relay import OutboxRelay
from attendance_common.messaging.worker import ConsumerSpec, Worker, run_worker

__all__ = [
    "BatchHandler",
    "ConsumerSpec",
    "EventConsumer",
    "Handler",
    "OutboxRelay",
    "Received",
    "TransientError",
    "Worker",
    "add_event",
    "add_events",
    "on",
    "on_runs",
    "run_worker",
]
