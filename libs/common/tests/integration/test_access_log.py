"""Access logs: one switch (ATTENDANCE_ACCESS_LOG), off under `make run`, on in the production
image; uvicorn's own flag no longer decides (it was overridden by our logging set-up)."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import httpx
import pytest

from attendance_common.broker import free_port, wait_for_port
from attendance_common.stack import api_command

pytestmark = pytest.mark.integration
HERE = os.path.dirname(__file__)


def serve_and_call(tmp_path, command_flags: list[str], **env: str) -> list[dict[str, object]]:
    """Serve served_app with uvicorn, call it twice, stop it; its log lines, parsed."""
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if k != "ATTENDANCE_ACCESS_LOG"}
    command = [*api_command("served_app:app", "127.0.0.1", port), "--app-dir", HERE, *command_flags]
    server = subprocess.Popen(
        command,
        env={**inherited, "ATTENDANCE_DATA_DIR": str(tmp_path), "LOG_JSON": "true", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_for_port(port, timeout=60), "the app never listened"
        for path in ("/healthz", "/nowhere"):
            httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10)
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def requests_logged(lines: list[dict[str, object]]) -> list[str]:
    return [str(line["event"]) for line in lines if line.get("logger") == "uvicorn.access"]


def test_no_line_per_request_by_default_as_make_run_serves_an_api(tmp_path):
    lines = serve_and_call(tmp_path, [])

    assert any(line.get("event") == "api_started" for line in lines)  # it does log otherwise
    assert requests_logged(lines) == []


def test_uvicorns_no_access_log_flag_is_no_longer_overridden(tmp_path):
    assert requests_logged(serve_and_call(tmp_path, ["--no-access-log"])) == []


def test_the_switch_turns_a_json_line_per_request_on(tmp_path):
    logged = requests_logged(serve_and_call(tmp_path, [], ATTENDANCE_ACCESS_LOG="true"))

    assert len(logged) == 2
    assert "GET /healthz" in logged[0] and "200" in logged[0]
    assert "GET /nowhere" in logged[1] and "404" in logged[1]
