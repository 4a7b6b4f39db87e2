"""Benchmark: families' requests through the real stack, end to end.

Usage: python tests/bench/requests_flow.py [--pupils 40]
Starts the broker and the four services (API and worker each, as `make run` does) on fresh
PostgreSQL databases (TEST_DATABASE_URL) with a local SMTP server, then, one pupil at a time:
- submit -> list: a parent's POST of an absence report until the school's list (school staff's
  GET, filtered by the pupil) shows it, as the client sees it;
- report -> suppressed contact: the report, then at once the MIS's `N` for that morning, until the
  first-day contact to the parents is recorded `skipped` (`reported_by_parent`): the report's
  `submitted_at` (registers) to the delivery's `created_at` (notifications), same clock, and as the
  client polling the delivery log sees it. Contacts that went out instead are counted.
Prints a table, then one JSON line. Not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from report import print_figures

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from e2e_receivers import smtp_env, start_smtp
from e2e_stack import Stack

from attendance_common.auth import mint_token
from attendance_common.clock import today_in_london
from attendance_common.identifiers import make_upn
from attendance_common.settings import DEVELOPMENT_JWT_SECRET
from attendance_common.testing.databases import DEFAULT_TEST_DATABASE_URL, TestDatabases

URN, LA = "100190", "387"
POLL = 0.02


def headers(role: str, **claims: Any) -> dict[str, str]:
    signed = mint_token(
        secret=DEVELOPMENT_JWT_SECRET, sub=f"bench-{role}", role=role, ttl_seconds=7200, **claims
    )
    return {"Authorization": f"Bearer {signed}"}


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return {"p50": -1, "p95": -1}
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": round(pick(0.5) * 1000, 1), "p95": round(pick(0.95) * 1000, 1)}


def enrol(http: httpx.Client, stack: Stack, pupils: int) -> list[str]:
    base = stack.url("registers")
    school = {"name": "Bench Primary", "la_code": LA, "phase": "primary"}
    http.put(f"{base}/v1/schools/{URN}", json=school, headers=headers("admin")).raise_for_status()
    upns = [make_upn("801", URN[-4:], "25", f"{n:03d}") for n in range(pupils)]
    mis = headers("mis", schools=[URN])
    for n, upn in enumerate(upns):
        contact = {
            "contact_id": "c1",
            "name": f"Parent {n}",
            "relationship": "mother",
            "parental_responsibility": True,
            "email": f"parent{n}.{URN}@example.com",
            "priority": 1,
        }
        body = {
            "given_name": f"Child{n}",
            "family_name": "Bench",
            "year_group": "4",
            "start_date": "2025-09-01",
            "contacts": [contact],
        }
        http.put(f"{base}/v1/schools/{URN}/pupils/{upn}", json=body, headers=mis).raise_for_status()
    return upns


def until(look, timeout: float = 60) -> tuple[Any, float]:
    """Poll `look()` until truthy: (its value, monotonic time it was seen)."""
    deadline = time.monotonic() + timeout
    while True:
        value = look()
        if value or time.monotonic() > deadline:
            return value, time.monotonic()
        time.sleep(POLL)


def one_pupil(http: httpx.Client, stack: Stack, n: int, upn: str) -> dict[str, Any]:
    registers, notifications = stack.url("registers"), stack.url("notifications")
    parent = headers("parent", email=f"parent{n}.{URN}@example.com")
    staff = headers("school_staff", schools=[URN])
    today = today_in_london().isoformat()

    started = time.monotonic()
    answer = http.post(
        f"{registers}/v1/schools/{URN}/pupils/{upn}/absence-reports",
        json={"first_date": today, "reason": "illness", "note": "Temperature"},
        headers=parent,
    )
    report = answer.raise_for_status().json()

    def listed() -> bool:
        page = http.get(f"{registers}/v1/schools/{URN}/absence-reports", params={"upn": upn}, headers=staff)
        return any(r["id"] == report["id"] for r in page.json()["absence_reports"])

    _, shown = until(listed)
    mark = {"upn": upn, "date": today, "session": "AM", "code": "N"}
    http.post(
        f"{registers}/v1/schools/{URN}/marks", json={"marks": [mark]}, headers=headers("mis", schools=[URN])
    )

    def contacts() -> list[dict[str, Any]]:
        params = {"school": URN, "upn": upn}
        rows = http.get(f"{notifications}/v1/notifications", params=params, headers=staff).json()
        return [d for d in rows["notifications"] if d["trigger"] == "first_day_absence"]

    found, seen = until(contacts)
    skipped = bool(found) and all(d["error"] == "reported_by_parent" for d in found)
    recorded = min(dt.datetime.fromisoformat(d["created_at"]) for d in found) if found else None
    server = (
        (recorded - dt.datetime.fromisoformat(report["submitted_at"])).total_seconds() if recorded else None
    )
    return {
        "listed": shown - started,
        "suppressed_client": seen - started,
        "suppressed_server": server,
        "skipped": skipped,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pupils", type=int, default=40)
    args = parser.parse_args()
    databases = TestDatabases(os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL), Path("/tmp"))
    controller, mailbox = start_smtp()
    logs = Path(tempfile.mkdtemp(prefix="bench-requests-"))
    stack = Stack(databases, logs, extra_env={**smtp_env(mailbox), "LOG_LEVEL": "WARNING"}, proxied=False)
    results = []
    try:
        stack.start()
        with httpx.Client(timeout=30) as http:
            upns = enrol(http, stack, args.pupils)
            time.sleep(3)  # let notifications read the pupils before the first alert
            results = [one_pupil(http, stack, n, upn) for n, upn in enumerate(upns)]
    finally:
        stack.stop()
        controller.stop()
        databases.drop_all()
    suppressed = [r for r in results if r["skipped"]]
    listed = percentiles([r["listed"] for r in results])
    client = percentiles([r["suppressed_client"] for r in suppressed])
    server = percentiles([r["suppressed_server"] for r in suppressed if r["suppressed_server"] is not None])
    print_figures(
        {
            "pupils": len(results),
            "submit_to_school_list_p50_ms": listed["p50"],
            "submit_to_school_list_p95_ms": listed["p95"],
            "report_to_suppressed_contact_p50_ms": server["p50"],
            "report_to_suppressed_contact_p95_ms": server["p95"],
            "report_to_suppressed_seen_by_client_p50_ms": client["p50"],
            "report_to_suppressed_seen_by_client_p95_ms": client["p95"],
            "contacts_suppressed": len(suppressed),
            "contacts_sent_instead": len(results) - len(suppressed),
            "logs": str(logs),
        }
    )


if __name__ == "__main__":
    main()
