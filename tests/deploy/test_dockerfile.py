"""The Dockerfile, read statically: built with uv from the lock, multi-stage on a slim base, runs
as a non-root user, checks /healthz, and leaves migrations to their own command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
STAGES = re.split(r"^FROM ", DOCKERFILE, flags=re.MULTILINE)[1:]
FINAL = STAGES[-1]


def instructions(stage: str, name: str) -> list[str]:
    return [line for line in stage.splitlines() if line.startswith(f"{name} ")]


def test_built_with_uv_from_the_lock_without_dev_tools():
    assert "COPY --from=uv /uv /bin/uv" in DOCKERFILE
    syncs = [line for line in DOCKERFILE.splitlines() if "uv sync" in line]
    assert syncs and all("--locked" in line and "--no-dev" in line for line in syncs)


def test_multi_stage_on_a_slim_base_with_no_build_tools_in_the_final_stage():
    assert len(STAGES) >= 3
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in DOCKERFILE
    assert FINAL.startswith("${PYTHON_IMAGE} AS runtime")
    assert "uv" not in " ".join(instructions(FINAL, "RUN"))
    assert "apt-get" not in FINAL


def test_runs_as_a_non_root_user():
    (user,) = instructions(FINAL, "USER")
    assert user.split()[1].split(":")[0] not in ("root", "0")


def test_health_checked_with_python_on_healthz():
    (check,) = [line for line in FINAL.splitlines() if 'CMD ["python"' in line]
    assert "/healthz" in check and "urllib.request" in check
    assert "HEALTHCHECK" in FINAL


def test_the_api_is_the_default_command_and_stops_gracefully():
    (command,) = instructions(FINAL, "CMD")
    assert "uvicorn" in command and "--timeout-graceful-shutdown" in command
    assert "exec uvicorn" in command  # PID 1 is uvicorn, so SIGTERM reaches it
    assert "migrate" not in command


def test_dockerignore_keeps_local_state_and_tests_out():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {"**/.venv", ".git", "**/tests", ".data"} <= set(ignored)


def test_the_production_image_logs_a_line_per_request_through_the_one_switch():
    (env,) = instructions(FINAL.replace("\\\n", " "), "ENV")  # continuation lines joined
    assert "ATTENDANCE_ACCESS_LOG=true" in env.split()
    (command,) = instructions(FINAL, "CMD")
    assert "access-log" not in command  # a uvicorn flag would be a second, overridden switch
