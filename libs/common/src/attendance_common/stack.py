"""`make run`: the broker and every service built so far (API and worker each), in the foreground.

Ctrl-C (SIGINT) or SIGTERM stops everything; a taken port is a clear error before anything starts.
Each worker serves its metrics on a free port (or `<SERVICE>_WORKER_METRICS_PORT`); what runs where
is written to `<data dir>/stack.json` for `make status`, and removed on stop.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from attendance_common.broker import BrokerError, free_port, port_is_free, start_broker, stop_broker
from attendance_common.settings import StackSettings

SERVICES = ("registers", "alerts", "casework", "notifications")


class Stack:
    """The child processes of a running stack, stopped together."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.stopping = False

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.children.append((name, subprocess.Popen(command, env=env)))

    def stop(self, *, grace: float = 15) -> None:
        for _, child in reversed(self.children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name, child in reversed(self.children):
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"stack: {name} did not stop in {grace:.0f} s: killed", flush=True)
                child.kill()
                child.wait()

    def died(self) -> tuple[str, int] | None:
        for name, child in self.children:
            if child.poll() is not None:
                return name, child.returncode
        return None


def built_services() -> list[str]:
    """Services with both an API (`<name>.main`) and a worker (`<name>.worker`) to run."""
    return [name for name in SERVICES if _has_module(f"{name}.main") and _has_module(f"{name}.worker")]


def _has_module(dotted: str) -> bool:
    try:
        return importlib.util.find_spec(dotted) is not None
    except ModuleNotFoundError:
        return False


def write_stack_file(path: Path, services: dict[str, dict[str, str]]) -> None:
    """Say what this stack serves: `{"pid", "services": {name: {"api", "worker_metrics"}}}`."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"pid": os.getpid(), "services": services}, indent=2))
    temporary.replace(path)  # whole or absent, never half-written, for a `make status` reading it


def read_stack_file(path: Path) -> dict[str, Any] | None:
    """The running stack's file, or None when there is none or its writer is gone (killed -9)."""
    try:
        written = json.loads(path.read_text())
        os.kill(int(written["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return dict(written)


def remove_stack_file(path: Path) -> None:
    if (read_stack_file(path) or {}).get("pid") == os.getpid():
        path.unlink()


def api_command(app: str, host: str, port: int) -> list[str]:
    """uvicorn serving an API (`registers.main:app`); access lines follow ATTENDANCE_ACCESS_LOG."""
    return [sys.executable, "-m", "uvicorn", app, "--host", host, "--port", str(port)]


def main() -> int:
    stack = Stack()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stack.stopping = True

    # First of all, so Ctrl-C during start-up is a clean stop rather than a traceback.
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    settings = StackSettings()
    services = built_services()
    for name in SERVICES:
        if name not in services:
            print(f"stack: {name}: not built yet, skipped", flush=True)
    wanted = {name: settings.port_of(name) for name in services}
    for name in services:
        if (chosen := settings.worker_metrics_port_of(name)) is not None:
            wanted[f"{name} worker metrics"] = chosen
    if settings.kafka_bootstrap_servers is None:
        wanted["broker"] = settings.broker_port
    taken = [f"{name} port {port}" for name, port in wanted.items() if not port_is_free(port, settings.host)]
    if taken:
        print(f"stack: cannot start, already in use: {', '.join(taken)} (set <NAME>_PORT)", file=sys.stderr)
        return 1

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Access logs stay off unless asked for: a line per request drowned everything else.
    env = {
        "ATTENDANCE_ACCESS_LOG": "false",
        **os.environ,
        "ATTENDANCE_DATA_DIR": str(settings.data_dir.resolve()),
    }
    broker = None
    if settings.kafka_bootstrap_servers is None:
        try:
            broker = start_broker(settings.broker_port, settings.host)
        except BrokerError as error:
            if stack.stopping:  # Ctrl-C during start-up reached the broker too
                print("stack: stopped", flush=True)
                return 0
            print(f"stack: {error}", file=sys.stderr)
            return 1
        env["KAFKA_BOOTSTRAP_SERVERS"] = f"{settings.host}:{settings.broker_port}"
        print(f"stack: broker (Tansu, in memory) on {env['KAFKA_BOOTSTRAP_SERVERS']}", flush=True)
    else:
        env["KAFKA_BOOTSTRAP_SERVERS"] = settings.kafka_bootstrap_servers
        print(f"stack: using the broker at {settings.kafka_bootstrap_servers}", flush=True)

    code = 0
    served: dict[str, dict[str, str]] = {}
    try:
        for name in services:
            if stack.stopping:
                break
            migrated = subprocess.run([sys.executable, "-m", "attendance_common.migrate", name], env=env)
            if migrated.returncode != 0:
                if stack.stopping:  # Ctrl-C reached the migration too: a stop, not a failure
                    break
                print(f"stack: {name}: migration failed", file=sys.stderr)
                code = 1
                break
            metrics_port = settings.worker_metrics_port_of(name) or free_port(settings.host)
            served[name] = {
                "api": f"http://{settings.host}:{wanted[name]}",
                "worker_metrics": f"http://{settings.host}:{metrics_port}/metrics",
            }
            stack.start(f"{name}-api", api_command(f"{name}.main:app", settings.host, wanted[name]), env)
            worker_env = {
                **env,
                f"{name.upper()}_WORKER_METRICS_PORT": str(metrics_port),
                f"{name.upper()}_WORKER_METRICS_HOST": settings.host,
            }
            stack.start(f"{name}-worker", [sys.executable, "-m", f"{name}.worker"], worker_env)
            print(
                f"stack: {name} API on {served[name]['api']} (docs at /docs), "
                f"worker metrics on {served[name]['worker_metrics']}",
                flush=True,
            )
        if not stack.stopping and code == 0:
            write_stack_file(settings.stack_file, served)
            print("stack: running; `make status` shows the pipeline; Ctrl-C stops everything", flush=True)
        while code == 0 and not stack.stopping:
            dead = stack.died()
            if dead is None and broker is not None and broker.poll() is not None:
                dead = ("the broker", broker.returncode)
            if dead is not None:
                time.sleep(0.5)  # Ctrl-C reaches every child too: a death then is part of the stop
                if not stack.stopping:
                    print(f"stack: {dead[0]} exited with code {dead[1]}: stopping all", file=sys.stderr)
                    code = 1
                break
            time.sleep(0.2)
    finally:
        print("stack: stopping", flush=True)
        remove_stack_file(settings.stack_file)
        stack.stop()
        if broker is not None:
            stop_broker(broker)
        print("stack: stopped", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
