"""Fault injection beside a running term: a killer thread, poison records, a private PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from e2e_stack import Stack

from attendance_common.broker import free_port


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


@contextlib.contextmanager
def private_postgres() -> Iterator[tuple[str, PrivatePostgres]]:
    """A PostgreSQL of our own (initdb, pg_ctl) on a free port: restarting it disturbs nobody else.

    Its folder is straight under /tmp: pytest's are private to root, which the server cannot use."""
    root = Path(tempfile.mkdtemp(prefix="e2e-postgres-"))
    server = PrivatePostgres(root)
    server.init()
    try:
        server.start()
        yield f"postgresql://postgres@127.0.0.1:{server.port}/postgres", server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


class PrivatePostgres:
    BIN = Path("/usr/local/bin")

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = free_port()

    @classmethod
    def available(cls) -> bool:
        return all((cls.BIN / tool).exists() for tool in ("initdb", "pg_ctl", "postgres"))

    def _run(self, *command: str) -> None:
        # initdb refuses to run as root: run the server as the `postgres` user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            str(self.BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=300"
        options += " -c fsync=off -c synchronous_commit=off"
        self._run(
            str(self.BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, down_for: float) -> None:
        """Stop (immediate: like a crash), stay down for a while, start again."""
        self.stop("immediate")
        time.sleep(down_for)
        self.start()
