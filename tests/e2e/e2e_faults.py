"""Fault injection beside a running term: a killer thread, poison records, a private PostgreSQL."""

from __future__ import annotations

import contextlib
import random
import threading
import time
import uuid
from collections.abc import Iterator

from e2e_stack import Stack

from attendance_common.testing.postgres import PrivatePostgres, private_postgres


class Killer(threading.Thread):
    """kill -9 then restart workers at random moments within `window` seconds."""

    def __init__(self, stack: Stack, services: list[str], kills: int, window: float, seed: int = 11) -> None:
        super().__init__(daemon=True)
        rng = random.Random(seed)
        self.stack = stack
        self.plan = sorted((rng.uniform(0, window), name) for name in services for _ in range(kills))
        self.done: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        started = time.monotonic()
        try:
            for at, name in self.plan:
                time.sleep(max(0.0, started + at - time.monotonic()))
                self.stack.restart_worker(name)
                self.done.append(name)
        except BaseException as error:  # reported by the test
            self.error = error


def poison_records(topic: str) -> list[tuple[bytes | None, list[tuple[str, bytes]]]]:
    """Two poison records for `topic`: a known event type with data that is not its schema, and
    bytes that are no CloudEvent at all. Each carries an `e2e_poison` header to find it again."""
    typed = {
        "attendance.pupils": "attendance.pupil.upserted",
        "attendance.marks": "attendance.mark.recorded",
        "attendance.requests": "attendance.absence_report.submitted",
        "attendance.alerts": "attendance.alert.raised",
        "attendance.cases": "attendance.referral.made",
        "attendance.notifications": "attendance.notification.sent",
    }[topic]
    mark = [("e2e_poison", uuid.uuid4().hex.encode())]
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(uuid.uuid4()).encode()),
        ("ce_source", b"e2e-poison"),
        ("ce_type", typed.encode()),
        ("ce_time", b"2025-10-01T08:00:00Z"),
        ("content-type", b"application/json"),
        *mark,
    ]
    garbage = [("e2e_poison", uuid.uuid4().hex.encode())]
    return [(b'{"nonsense": true}', headers), (b"\xff\x00 not json", garbage)]


# The e2e stack's private server. Its crashes (`pg_ctl stop -m immediate`) kill the server, not the
# machine: what reached the kernel survives them, so fsync can be off. Commits must stay synchronous:
# an asynchronous one is acknowledged before its WAL is written, and a crash then loses it (a
# register answered 200, never published: its alerts missing, nothing dead-lettered).
E2E_POSTGRES = {"max_connections": "300", "fsync": "off"}


@contextlib.contextmanager
def e2e_postgres() -> Iterator[tuple[str, PrivatePostgres]]:
    """A PostgreSQL of our own on a free port: restarting it disturbs nobody else."""
    with private_postgres(E2E_POSTGRES) as server:
        yield server.url, server
