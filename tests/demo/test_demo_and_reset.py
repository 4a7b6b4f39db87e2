"""`make demo` keeps to schools of its own and says so; `make reset` clears the stored data and
nothing else; both are in `make help`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from demo_half_term import replay
from demo_range import DEMO_LA, banner, demo_urns

from attendance_common.reset import reset

ROOT = Path(__file__).resolve().parents[2]


def readme_session() -> tuple[set[str], set[str]]:
    """The schools and LAs the README's first session creates: the user's own."""
    readme = (ROOT / "README.md").read_text()
    return set(re.findall(r"/v1/schools/(\d{6})", readme)), set(re.findall(r'"la_code": "(\d{3})"', readme))


def test_the_demo_writes_only_its_own_schools_in_its_own_la():
    urns, las = readme_session()
    written: list[tuple[str, str, dict]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        written.append((request.method, request.url.path, body))
        return httpx.Response(200, json={})

    demo = demo_urns(3)
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        for n, urn in enumerate(demo):
            replay(client, urn, seed=n, pupils=150)

    schools = {path.split("/")[3] for _, path, _ in written}
    assert schools == set(demo) and not schools & urns
    school_bodies = [body for method, path, body in written if re.fullmatch(r"/v1/schools/\d{6}", path)]
    assert {body["la_code"] for body in school_bodies} == {DEMO_LA}
    assert DEMO_LA not in las


def test_the_demo_says_which_schools_it_writes_and_how_to_clear_them():
    said = banner(demo_urns(3))
    assert "990101-990103" in said and f"LA {DEMO_LA}" in said and "make reset" in said
    with pytest.raises(ValueError):
        demo_urns(100)


def test_reset_removes_the_stored_databases_and_nothing_else(tmp_path):
    stored = [tmp_path / name for name in ("registers.db", "registers.db-wal", "notifications.db")]
    kept = [tmp_path / name for name in ("notes.txt", "other.db")]
    for path in stored + kept:
        path.write_text("x")
    (tmp_path / "stack.json").write_text(json.dumps({"pid": 2**22 + 17, "services": {}}))  # its stack is gone

    assert sorted(reset(tmp_path)) == sorted(stored)
    assert [path for path in stored + kept if path.exists()] == kept


def test_reset_is_refused_while_make_run_uses_the_folder(tmp_path):
    (tmp_path / "alerts.db").write_text("x")
    (tmp_path / "stack.json").write_text(json.dumps({"pid": os.getpid(), "services": {}}))
    with pytest.raises(RuntimeError, match="stop it"):
        reset(tmp_path)
    assert (tmp_path / "alerts.db").exists()


def test_make_help_lists_reset_demo_and_test_unit():
    shown = subprocess.run(
        ["make", "--no-print-directory", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for target in ("make reset", "make demo", "make test-unit"):
        assert target in shown
    assert "990101" in shown
