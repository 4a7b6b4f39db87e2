"""Benchmark: an LA's weekly attendance updates sent on demand (api.md "Keeping parents informed").

Usage: python tests/bench/attendance_updates.py [--schools 100] [--pupils-per-school 600]
       [--concurrency 4]   (BENCH_SCALE=small: 10 schools of 100 pupils)
Starts a broker, the notifications API (uvicorn) and worker as `make run` does, on a fresh PostgreSQL
database (TEST_DATABASE_URL), with a local SMTP capture server. The projection notifications keeps
from registers' events (schools, pupils, parents, marks) is loaded straight into its tables: the
autumn term to Friday 27 November 2026 (60 school days, both sessions, some illness and some `N`),
every pupil with one parent with parental responsibility and an email, every other pupil a second.
Then school staff POST each school's updates for the week of 23 November, a few schools at a time,
and it reports: the time until the last update is in the app feeds (every POST answered: each
commits its messages before answering), messages per second, and the time until the last email is
in the SMTP capture, with how many SMTP connections carried them. Prints a table, then one JSON
line. Not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiosmtpd.controller import Controller
from report import print_figures

from attendance_common.auth import mint_token
from attendance_common.broker import free_port, start_broker, stop_broker
from attendance_common.migrations import upgrade_database
from attendance_common.settings import DEVELOPMENT_JWT_SECRET
from attendance_common.testing.databases import DEFAULT_TEST_DATABASE_URL, TestDatabases
from notifications.main import MIGRATIONS

LA = "387"
FIRST_URN = 300000
WEEK = ("2026-11-23", "2026-11-27")


class Capture:
    """An aiosmtpd handler that counts messages and connections (EHLO), and when the last came."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages = 0
        self.connections = 0
        self.last = 0.0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.messages += 1
            self.last = time.monotonic()
        return "250 OK"


def headers(role: str, **claims: Any) -> dict[str, str]:
    token = mint_token(
        secret=DEVELOPMENT_JWT_SECRET, sub=f"bench-{role}", role=role, ttl_seconds=7200, **claims
    )
    return {"Authorization": f"Bearer {token}"}


SEED = [
    """INSERT INTO schools (urn, la_code, name)
       SELECT ({first} + s)::text, '{la}', 'Bench School ' || s FROM generate_series(1, {schools}) s""",
    """INSERT INTO pupils (school_urn, upn, la_code, given_name, family_name, year_group, start_date)
       SELECT ({first} + s)::text, 'B' || lpad(s::text, 4, '0') || lpad(n::text, 8, '0'), '{la}',
              'Child' || n, 'Bench', '4', DATE '2025-09-01'
       FROM generate_series(1, {schools}) s, generate_series(1, {per_school}) n""",
    """INSERT INTO contacts (pupil_id, contact_id, name, relationship, parental_responsibility, email,
                             phone, priority)
       SELECT id, 'c1', 'Parent One', 'mother', true, 'p1.' || upn || '@bench.example', '07700900000', 1
       FROM pupils
       UNION ALL
       SELECT id, 'c2', 'Parent Two', 'father', true, 'p2.' || upn || '@bench.example', NULL, 2
       FROM pupils WHERE id % 2 = 0""",
    # The autumn term to 27 November, half term (26-30 October) out: mostly present, some I and N.
    """INSERT INTO marks (pupil_id, date, session, code)
       SELECT p.id, d::date, s.session,
              CASE WHEN (p.id * 31 + extract(doy FROM d)::int * 7 + s.k) % 23 = 0 THEN 'I'
                   WHEN (p.id * 17 + extract(doy FROM d)::int * 3 + s.k) % 41 = 0 THEN 'N'
                   WHEN s.session = 'AM' THEN '/' ELSE '\\' END
       FROM pupils p,
            generate_series(DATE '2026-09-03', DATE '2026-11-27', INTERVAL '1 day') d,
            (VALUES ('AM', 0), ('PM', 1)) s(session, k)
       WHERE extract(isodow FROM d) < 6 AND NOT (d::date BETWEEN DATE '2026-10-26' AND DATE '2026-10-30')""",
    "ANALYZE",
]


async def seed(dsn: str, schools: int, per_school: int) -> dict[str, int]:
    connection = await asyncpg.connect(dsn)
    try:
        for statement in SEED:
            await connection.execute(
                statement.format(first=FIRST_URN, la=LA, schools=schools, per_school=per_school)
            )
        counts = {}
        for table in ("pupils", "contacts", "marks"):
            counts[table] = int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
        return counts
    finally:
        await connection.close()


async def count_feed(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(
            await connection.fetchval("SELECT count(*) FROM messages WHERE kind = 'attendance_update'")
        )
    finally:
        await connection.close()


async def send_all(base: str, schools: int, concurrency: int) -> tuple[list[dict[str, Any]], float, float]:
    """POST every school's updates, `concurrency` at a time: (answers, first sent, last answered)."""
    staff = headers("school_staff", schools=[str(FIRST_URN + s) for s in range(1, schools + 1)])
    body = {"from": WEEK[0], "to": WEEK[1]}
    gate = asyncio.Semaphore(concurrency)
    answers: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:

        async def one(urn: int) -> None:
            async with gate:
                answer = await client.post(f"/v1/schools/{urn}/attendance-updates", json=body, headers=staff)
                answer.raise_for_status()
                answers.append(answer.json())

        started = time.monotonic()
        await asyncio.gather(*(one(FIRST_URN + s) for s in range(1, schools + 1)))
        return answers, started, time.monotonic()


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the notifications API exited"
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the notifications API never became ready")


def main() -> None:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    small = os.environ.get("BENCH_SCALE") == "small"
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=10 if small else 100)
    parser.add_argument("--pupils-per-school", type=int, default=100 if small else 600)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--email-timeout", type=float, default=900)
    parser.add_argument("--smtp-connections", type=int, default=8)
    parser.add_argument("--delivery-batch", type=int, default=200)
    args = parser.parse_args()
    databases = TestDatabases(os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL), Path("/tmp"))
    capture = Capture()
    smtp_port = free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=smtp_port)
    logs = Path(tempfile.mkdtemp(prefix="bench-updates-"))
    processes: list[subprocess.Popen[bytes]] = []
    broker_port = free_port()
    broker = start_broker(broker_port)
    try:
        controller.start()
        url = databases.create("bench_updates")
        upgrade_database(MIGRATIONS, url)
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        seeded_at = time.monotonic()
        seeded = asyncio.run(seed(dsn, args.schools, args.pupils_per_school))
        seed_seconds = time.monotonic() - seeded_at
        port = free_port()
        env = {
            **os.environ,
            "ATTENDANCE_ENV": "test",
            "LOG_LEVEL": "WARNING",
            "LOG_JSON": "false",
            "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{broker_port}",
            "NOTIFICATIONS_DATABASE_URL": url,
            "NOTIFICATIONS_MIGRATE_ON_START": "false",
            "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
            "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
            # More emails in flight than the defaults (4 connections, 50 a round) for a burst this size.
            "NOTIFICATIONS_SMTP_POOL_SIZE": str(args.smtp_connections),
            "NOTIFICATIONS_DELIVERY_BATCH_SIZE": str(args.delivery_batch),
        }
        for name, command in (
            ("api", ["-m", "uvicorn", "notifications.main:app", "--port", str(port), "--no-access-log"]),
            ("worker", ["-m", "notifications.worker"]),
        ):
            log = (logs / f"{name}.log").open("wb")
            processes.append(
                subprocess.Popen([sys.executable, *command], env=env, stdout=log, stderr=subprocess.STDOUT)
            )
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, processes[0])
        answers, started, answered = asyncio.run(send_all(base, args.schools, args.concurrency))
        in_feed = asyncio.run(count_feed(dsn))
        expected = sum(a["messages"] for a in answers)
        deadline = time.monotonic() + args.email_timeout
        while capture.messages < expected and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        controller.stop()
        stop_broker(broker)
        databases.drop_all()
    feed_seconds = answered - started
    email_seconds = capture.last - started if capture.messages else None
    print_figures(
        {
            "schools": args.schools,
            "pupils": sum(a["pupils"] for a in answers),
            "marks_in_projection": seeded["marks"],
            "seed_seconds": round(seed_seconds, 1),
            "messages_in_feed": in_feed,
            "seconds_to_last_in_feed": round(feed_seconds, 2),
            "feed_messages_per_second": round(in_feed / feed_seconds),
            "pupils_per_second": round(sum(a["pupils"] for a in answers) / feed_seconds),
            "emails_expected": expected,
            "emails_captured": capture.messages,
            "seconds_to_last_email": round(email_seconds, 1) if email_seconds else None,
            "emails_per_second": round(capture.messages / email_seconds) if email_seconds else None,
            "smtp_connections": capture.connections,
            "smtp_pool_size": args.smtp_connections,
            "delivery_batch": args.delivery_batch,
            "load_average_1m": round(os.getloadavg()[0], 1),
            "logs": str(logs),
        }
    )


if __name__ == "__main__":
    main()
