"""`make run`'s process: starts the broker (and built services), stops cleanly, refuses taken ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from attendance_common.broker import free_port, wait_for_port
from attendance_common.stack import SERVICES, built_services

pytestmark = pytest.mark.integration


def start_stack(tmp_path, ports: dict[str, str] | None = None, **env: str) -> subprocess.Popen[str]:
    ports = ports or {f"{name.upper()}_PORT": str(free_port()) for name in SERVICES}
    return subprocess.Popen(
        [sys.executable, "-m", "attendance_common.stack"],
        env={**os.environ, **ports, "ATTENDANCE_DATA_DIR": str(tmp_path), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as `make run` has in a terminal
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_stack_starts_the_broker_and_stops_everything_on_signal(tmp_path, signum):
    port = free_port()
    stack = start_stack(tmp_path, BROKER_PORT=str(port))
    try:
        assert wait_for_port(port, timeout=30), "the broker never answered"
        os.killpg(stack.pid, signum)  # as Ctrl-C does: the whole process group
        output, _ = stack.communicate(timeout=40)
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGKILL)
    assert stack.returncode == 0, output
    assert "stack: stopped" in output
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_stack_serves_every_built_service_until_stopped(tmp_path):
    ports = {f"{name.upper()}_PORT": str(free_port()) for name in SERVICES}
    stack = start_stack(tmp_path, ports, BROKER_PORT=str(free_port()))
    try:
        for name in built_services():
            url = f"http://127.0.0.1:{ports[name.upper() + '_PORT']}/readyz"
            assert _eventually_ready(url), f"{name} never became ready"
        os.killpg(stack.pid, signal.SIGINT)
        output, _ = stack.communicate(timeout=40)
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGKILL)
    assert stack.returncode == 0, output
    for name in SERVICES:
        expected = "worker" if name in built_services() else "not built yet, skipped"
        assert any(name in line and expected in line for line in output.splitlines()), output


def _eventually_ready(url: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def test_a_taken_port_is_a_clear_error_not_a_hang(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        started = time.monotonic()
        stack = start_stack(tmp_path, BROKER_PORT=str(taken))
        output, _ = stack.communicate(timeout=30)
    assert stack.returncode == 1
    assert f"broker port {taken}" in output and "already in use" in output
    assert time.monotonic() - started < 30
