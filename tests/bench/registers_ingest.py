"""Benchmark: a morning's registers through the registers HTTP API, beside raw PostgreSQL COPY.

Usage: python tests/bench/registers_ingest.py [--schools 200] [--pupils 1000] [--workers 2]
    [--idempotency-keys]
Needs PostgreSQL (TEST_DATABASE_URL, default postgresql://root@127.0.0.1:5432/test). Prints a
table, then one JSON line with every figure. Not a test: nothing here asserts a speed.

Besides marks/s, which depends on whatever else shares the machine, it reports the CPU time per
mark of the API processes and of the benchmark database's PostgreSQL backends (from /proc, when
PostgreSQL runs on this machine): the cost every other service on the same cores pays for.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import asyncpg
import httpx
from report import print_figures

from attendance_common.auth import mint_token
from attendance_common.broker import free_port
from attendance_common.db import Database
from attendance_common.identifiers import make_upn
from attendance_common.migrations import upgrade_database
from attendance_common.settings import DEVELOPMENT_JWT_SECRET
from attendance_common.testing.databases import DEFAULT_TEST_DATABASE_URL, TestDatabases
from registers.bulk import MARK_COLUMNS
from registers.counters import rebuild_month_counts
from registers.school_days import rebuild_school_days

ROOT = Path(__file__).resolve().parents[2]
MORNING = dt.date(2026, 11, 16)
PUPIL_COLUMNS = [
    "school_urn",
    "upn",
    "given_name",
    "family_name",
    "date_of_birth",
    "year_group",
    "start_date",
    "fsm_eligible",
    "sen_status",
    "has_social_worker",
    "social_worker",
    "contacts",
    "updated_at",
]
YEAR_START = dt.date(2025, 9, 1)


def upn(school: int, pupil: int) -> str:
    return (
        make_upn("801", f"{school:04d}", "15", f"{pupil % 1000:03d}")
        if pupil < 1000
        else make_upn("801", f"{school:04d}", f"{16 + pupil // 1000:02d}", f"{pupil % 1000:03d}")
    )


async def copy_pupils(pg: asyncpg.Connection, pupils: list[tuple[str, str, int, str]]) -> None:
    """(urn, upn, number, year group) -> pupils on roll since the start of last year, by COPY."""
    now = dt.datetime.now(dt.UTC)
    await pg.copy_records_to_table(
        "pupils",
        records=[
            (
                urn,
                pupil_upn,
                "Pupil",
                str(n),
                None,
                year,
                YEAR_START,
                n % 4 == 0,
                "N",
                n % 20 == 0,
                None,
                "[]",
                now,
            )
            for urn, pupil_upn, n, year in pupils
        ],
        columns=PUPIL_COLUMNS,
    )


async def copy_marks(
    pg: asyncpg.Connection, marks: Iterable[tuple[int, dt.date, str, str]], table: str = "marks"
) -> int:
    """(pupil id, date, session, code) -> marks recorded by a bench MIS, by COPY."""
    now = dt.datetime.now(dt.UTC)
    rows = [(pid, day, session, code, None, now, "bench", "mis", None) for pid, day, session, code in marks]
    await pg.copy_records_to_table(table, records=rows, columns=MARK_COLUMNS)
    return len(rows)


async def seed(pg: asyncpg.Connection, schools: int, pupils: int) -> list[str]:
    """Schools and pupils straight into the tables: setting up is not what is measured."""
    now = dt.datetime.now(dt.UTC)
    urns = [str(200_000 + s) for s in range(schools)]
    await pg.copy_records_to_table(
        "schools",
        records=[(u, f"School {u}", "380", "primary", now) for u in urns],
        columns=["urn", "name", "la_code", "phase", "updated_at"],
    )
    await copy_pupils(
        pg, [(u, upn(s, p), p, str(1 + p % 6)) for s, u in enumerate(urns) for p in range(pupils)]
    )
    return urns


async def seed_history(pg: asyncpg.Connection, days: int) -> int:
    """The school days before the measured morning, so the tables look like mid-term, then ANALYZE."""
    ids = [r["id"] for r in await pg.fetch("SELECT id FROM pupils")]
    past = [
        MORNING - dt.timedelta(days=d)
        for d in range(1, 3 * days)
        if (MORNING - dt.timedelta(days=d)).weekday() < 5
    ]
    copied = await copy_marks(
        pg,
        (
            (pid, day, sn, "/" if sn == "AM" else "\\")
            for day in past[:days]
            for pid in ids
            for sn in ("AM", "PM")
        ),
    )
    await pg.execute("ANALYZE")
    return copied


def morning_marks(school: int, pupils: int, day: dt.date = MORNING) -> list[dict[str, object]]:
    codes = ["/"] * 90 + ["L"] * 3 + ["N"] * 4 + ["I"] * 2 + ["M"]
    return [
        {
            "upn": upn(school, p),
            "date": day.isoformat(),
            "session": "AM",
            "code": codes[(p * 7 + school) % 100],
        }
        for p in range(pupils)
    ]


def start_api(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REGISTERS_DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "REGISTERS_MIGRATE_ON_START": "false",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "registers.main:app",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
    )


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the API never answered")


def cpu_seconds(pids: Iterable[int]) -> float:
    """User plus system CPU time of these processes so far (those gone already count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def process_tree(root: int) -> list[int]:
    """root and every process descended from it (uvicorn's workers)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree = [root]
    for pid in tree:
        tree.extend(child for child, parent in parents.items() if parent == pid)
    return tree


def database_backends(name: str) -> list[int]:
    """PostgreSQL backends connected to database `name`, if PostgreSQL runs on this machine."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if f" {name} ".encode() in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
        except OSError:
            continue
    return pids


async def post_morning(
    base: str,
    urns: list[str],
    pupils: int,
    concurrency: int,
    day: dt.date = MORNING,
    idempotency_keys: bool = False,
) -> tuple[float, list[float]]:
    token = mint_token(secret=DEVELOPMENT_JWT_SECRET, sub="bench-mis", role="admin")
    bodies = [(u, json.dumps({"marks": morning_marks(int(u) - 200_000, pupils, day)})) for u in urns]
    latencies: list[float] = []
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)

    async def sender(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            urn, body = queue.get_nowait()
            headers = {"Content-Type": "application/json"}
            if idempotency_keys:  # as an MIS retrying safely sends (the pipeline benchmark does)
                headers["Idempotency-Key"] = f"{urn}-{day}-AM"
            started = time.perf_counter()
            answer = await client.post(f"/v1/schools/{urn}/marks", content=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            result = answer.json()
            if answer.status_code != 200 or result["accepted"] != pupils:
                raise RuntimeError(f"unexpected answer {answer.status_code}: {str(result)[:300]}")

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base, timeout=120, limits=limits, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        started = time.perf_counter()
        await asyncio.gather(*(sender(client) for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


async def copy_same_rows(pg: asyncpg.Connection, urns: list[str], pupils: int) -> float:
    """The same marks by raw COPY into a copy of the marks table (same indexes): the floor."""
    await pg.execute("CREATE TABLE marks_copy (LIKE marks INCLUDING DEFAULTS INCLUDING INDEXES)")
    ids = [r["id"] for r in await pg.fetch("SELECT id FROM pupils ORDER BY id")]
    started = time.perf_counter()
    await copy_marks(pg, ((pid, MORNING, "AM", "/") for pid in ids), table="marks_copy")
    return time.perf_counter() - started


async def summary_timings(
    pg: asyncpg.Connection, base: str, url: str, pupils: int = 2000
) -> dict[str, float]:
    """A school of 2,000 pupils with a full year of marks (2 sessions x 190 days): the latency of its
    summaries and of the first page of its pupil list (api.md "Finding pupils who need support"),
    median of 7 (summaries) and p50/p95 of 40 (the list)."""
    now = dt.datetime.now(dt.UTC)
    urn = "299999"
    await pg.execute(
        "INSERT INTO schools (urn, name, la_code, phase, updated_at) "
        "VALUES ($1, 'Big Academy', '380', 'secondary', $2)",
        urn,
        now,
    )
    await copy_pupils(pg, [(urn, upn(9999, p), p, str(7 + p % 5)) for p in range(pupils)])
    ids = [r["id"] for r in await pg.fetch("SELECT id FROM pupils WHERE school_urn = $1", urn)]
    days = [
        YEAR_START + dt.timedelta(days=d)
        for d in range(0, 400)
        if (YEAR_START + dt.timedelta(days=d)).weekday() < 5
    ][:190]
    codes = ["/"] * 92 + ["I"] * 4 + ["N", "O", "M", "G"]
    await copy_marks(
        pg,
        (
            (pid, day, sn, codes[(pid * 31 + n) % 100])
            for pid in ids
            for n, day in enumerate(days)
            for sn in ("AM", "PM")
        ),
    )
    await rebuild_counters(url)
    await pg.execute("ANALYZE marks")
    token = mint_token(secret=DEVELOPMENT_JWT_SECRET, sub="bench", role="admin")
    timings: dict[str, list[float]] = {
        "school_summary_ms": [],
        "school_summary_grouped_ms": [],
        "pupil_summary_ms": [],
    }
    period = "from=2025-09-01&to=2026-07-31"
    async with httpx.AsyncClient(
        base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"}
    ) as c:
        for _ in range(7):
            for name, path in (
                ("school_summary_ms", f"/v1/schools/{urn}/attendance?{period}"),
                ("school_summary_grouped_ms", f"/v1/schools/{urn}/attendance?{period}&group_by=year_group"),
                ("pupil_summary_ms", f"/v1/schools/{urn}/pupils/{upn(9999, 7)}/attendance?{period}"),
            ):
                started = time.perf_counter()
                answer = await c.get(path)
                assert answer.status_code == 200, answer.text
                timings[name].append((time.perf_counter() - started) * 1000)
        pupil_list = []
        for _ in range(40):
            started = time.perf_counter()
            answer = await c.get(f"/v1/schools/{urn}/attendance/pupils?{period}")
            assert answer.status_code == 200 and len(answer.json()["pupils"]) == 100, answer.text
            pupil_list.append((time.perf_counter() - started) * 1000)
    figures = {name: round(statistics.median(values), 1) for name, values in timings.items()}
    figures["school_pupil_list_p50_ms"] = round(statistics.median(pupil_list), 1)
    figures["school_pupil_list_p95_ms"] = round(statistics.quantiles(pupil_list, n=20)[-1], 1)
    return figures


async def rebuild_counters(url: str) -> None:
    """Marks loaded by COPY bypass the API: derive the monthly counters and the school days from them,
    as a repair would."""
    database = Database(url)
    async with database.transaction() as session:
        await rebuild_month_counts(session)
        await rebuild_school_days(session)
    await database.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    small = os.environ.get("BENCH_SCALE") == "small"
    parser.add_argument("--schools", type=int, default=20 if small else 200)
    parser.add_argument("--pupils", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--concurrency", type=int, default=16, help="requests in flight (MIS systems posting at once)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="mornings measured; the median is reported")
    parser.add_argument("--history-days", type=int, default=5, help="school days of marks before the morning")
    parser.add_argument(
        "--idempotency-keys", action="store_true", help="send an Idempotency-Key with every request"
    )
    args = parser.parse_args()

    databases = TestDatabases(os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL), Path("/tmp"))
    url = databases.create("bench_registers", backend="postgresql")
    try:
        upgrade_database(ROOT / "services/registers/migrations", url)
        pg = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        urns = await seed(pg, args.schools, args.pupils)
        history = await seed_history(pg, args.history_days)
        await rebuild_counters(url)
        port = free_port()
        api_process = start_api(url, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            await wait_ready(base)
            await post_morning(base, urns[:2], args.pupils, 2)  # warm-up: connections, caches
            rounds = []  # one morning per round: each round's marks are all new
            api_cpu, db_cpu = [], []  # CPU seconds per round
            database = url.rsplit("/", 1)[1]
            for n in range(args.rounds):
                day = MORNING + dt.timedelta(days=n)
                api, db = process_tree(api_process.pid), database_backends(database)
                api_before, db_before = cpu_seconds(api), cpu_seconds(db)
                rounds.append(
                    await post_morning(
                        base, urns[2:], args.pupils, args.concurrency, day, args.idempotency_keys
                    )
                )
                api_cpu.append(cpu_seconds(api) - api_before)
                db_cpu.append(cpu_seconds(database_backends(database)) - db_before)  # pools may grow
            summaries = await summary_timings(pg, base, url)
        finally:
            api_process.terminate()
            api_process.wait()
        marks = (len(urns) - 2) * args.pupils
        copy_seconds = await copy_same_rows(pg, urns[2:], args.pupils)
        outbox = await pg.fetchval(
            "SELECT count(*) FROM outbox WHERE event_type = 'attendance.mark.recorded'"
        )
        await pg.close()
    finally:
        databases.drop_all()

    rates = sorted(marks / elapsed for elapsed, _ in rounds)
    latencies = sorted(latency for _, round_latencies in rounds for latency in round_latencies)
    figures = {
        "ingest_marks": marks,
        "history_marks": history,
        "ingest_marks_per_s": round(statistics.median(rates)),
        "ingest_rounds_marks_per_s": [round(rate) for rate in rates],
        "copy_rows_per_s": round(len(urns[2:]) * args.pupils / copy_seconds),
        "request_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "request_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "api_cpu_us_per_mark": round(statistics.median(api_cpu) / marks * 1e6, 1),
        "db_cpu_us_per_mark": round(statistics.median(db_cpu) / marks * 1e6, 1) if any(db_cpu) else None,
        "outbox_events": outbox,
        "idempotency_keys": args.idempotency_keys,
        "uvicorn_workers": args.workers,
        "concurrency": args.concurrency,
        **summaries,
    }
    figures["ingest_to_copy_ratio"] = round(figures["ingest_marks_per_s"] / figures["copy_rows_per_s"], 3)
    print_figures(figures)


if __name__ == "__main__":
    asyncio.run(main())
