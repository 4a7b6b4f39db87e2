"""The README's first session, pasted into bash as written, against `make run`; then `make status`,
`GET /` and the offline docs of the stack it started.

One stack (SQLite under a temporary data folder, every port free) serves the module, started and
stopped as a person does: `python -m attendance_common.stack`, then Ctrl-C to its process group.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from attendance_common.broker import free_port
from attendance_common.devtoken import DEVELOPMENT_JWT_SECRET, mint_token
from attendance_common.identifiers import make_upn
from attendance_common.stack import SERVICES

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
# Set by `make test` for its own children; a person's shell has none of them.
MAKE_VARIABLES = ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES")


@dataclass
class RunningStack:
    env: dict[str, str]  # what a person's shell has: the ports and data folder `make run` used
    log: Path

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.env[service.upper() + '_PORT']}"

    def output(self) -> str:
        return self.log.read_text()


def shell_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in MAKE_VARIABLES and not k.startswith("ATTENDANCE_")}
    return {**env, **extra}


def make(target: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", target], env=env, cwd=ROOT, capture_output=True, text=True
    )


def first_session() -> str:
    """The README's shell blocks under "A first session", joined as a person pastes them."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## A first session\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert blocks, "the README has no first session"
    return "\n".join(blocks)


def all_ready(stack: RunningStack) -> bool:
    try:
        return all(httpx.get(stack.url(name) + "/readyz", timeout=2).status_code == 200 for name in SERVICES)
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    folder = tmp_path_factory.mktemp("make-run")
    ports = {f"{name.upper()}_PORT": str(free_port()) for name in SERVICES}
    env = shell_env(**ports, BROKER_PORT=str(free_port()), ATTENDANCE_DATA_DIR=str(folder / "data"))
    running = RunningStack(env, folder / "make-run.log")
    with running.log.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "attendance_common.stack"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as `make run` has in a terminal
        )
    try:
        deadline = time.monotonic() + 600  # four services on a busy two-core machine
        while not ((folder / "data" / "stack.json").exists() and all_ready(running)):
            assert process.poll() is None, f"make run exited:\n{running.output()}"
            assert time.monotonic() < deadline, f"make run never got ready:\n{running.output()}"
            time.sleep(1)
        yield running
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's session uses curl")
def test_the_readme_first_session_runs_as_written(stack):
    # As pasted into a shell (no pipefail), stopping at the first command that fails.
    session = subprocess.run(
        ["bash", "-e", "-c", first_session()],
        env=stack.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert session.returncode == 0, f"{session.stdout}\n{session.stderr}"
    answers = [json.loads(line) for line in session.stdout.splitlines()]
    school, pupil, marks, attendance, alerts = answers[:3] + answers[-2:]  # the wait loop prints nothing
    assert school["urn"] == "100001" and pupil["upn"] == "X380200121001"
    assert (marks["accepted"], marks["rejected"]) == (2, [])
    assert (attendance["possible_sessions"], attendance["unauthorised_absence"]) == (2, 1)
    (alert,) = alerts["alerts"]
    assert (alert["type"], alert["upn"], alert["status"]) == ("first_day_absence", "X380200121001", "open")
    # `make run` asks for no access log: the requests above left no line each.
    assert "uvicorn.access" not in stack.output() and '"GET /v1/' not in stack.output()


def test_make_run_prints_where_each_worker_serves_its_metrics(stack):
    printed = dict(re.findall(r"stack: (\w+) API on .*, worker metrics on (\S+)", stack.output()))

    assert set(printed) == set(SERVICES)
    for url in printed.values():
        scraped = httpx.get(url, timeout=5)
        assert scraped.status_code == 200 and "attendance_outbox_backlog" in scraped.text


def test_make_status_shows_each_services_pipeline(stack):
    admin = {"Authorization": "Bearer " + mint_token(secret=DEVELOPMENT_JWT_SECRET, sub="t", role="admin")}
    registers = stack.url("registers") + "/v1/schools/100009"
    school = {"name": "Status Primary", "la_code": "380", "phase": "primary"}
    pupil = {"given_name": "Bo", "family_name": "Ng", "year_group": "3", "start_date": "2025-09-01"}
    assert httpx.put(registers, json=school, headers=admin).is_success
    upn = make_upn("380", "2009", "21", "001")
    answer = httpx.put(f"{registers}/pupils/{upn}", json=pupil, headers=admin)
    assert answer.is_success, answer.text

    deadline = time.monotonic() + 120
    while True:  # until the pupil's event has reached every consumer and what it made is sent
        status = make("status", stack.env)
        rows = {line.split()[0]: line for line in status.stdout.splitlines()[1:-1]}
        if all(_settled(rows.get(name, "")) for name in ("alerts", "casework", "notifications")):
            break
        assert time.monotonic() < deadline, status.stdout + status.stderr
        time.sleep(1)

    assert status.returncode == 0, status.stdout + status.stderr
    header = status.stdout.splitlines()[0].split("  ")
    assert [cell.strip() for cell in header if cell] == [
        "service", "api", "consumer lag", "outbox backlog", "dead letters", "last event applied"
    ]  # fmt: skip
    assert set(rows) == set(SERVICES)
    for name in ("alerts", "casework", "notifications"):
        _, api, lag, backlog, dead, *last = rows[name].split()
        assert (api, lag, backlog, dead) == ("ready", "0", "0", "0")
        assert last[0].startswith("attendance.") and "UTC" in rows[name]


def _settled(row: str) -> bool:
    """A `make status` row whose worker has applied an event and has nothing left to do."""
    return "attendance." in row and row.split()[1:5] == ["ready", "0", "0", "0"]


def test_make_status_without_make_run_says_so(tmp_path):
    status = make("status", shell_env(ATTENDANCE_DATA_DIR=str(tmp_path)))

    assert status.returncode != 0
    assert "no running `make run`" in status.stderr and "ATTENDANCE_DATA_DIR" in status.stderr


def test_every_api_answers_its_name_version_and_links_at_root(stack):
    for name in SERVICES:
        index = httpx.get(stack.url(name) + "/", timeout=5)

        assert index.status_code == 200
        body = index.json()
        assert body["service"] == name and body["name"] and body["version"]
        for link in ("docs", "openapi", "metrics"):
            assert httpx.get(stack.url(name) + body["links"][link], timeout=5).status_code == 200
