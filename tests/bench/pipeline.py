"""Benchmark: the whole pipeline, a synthetic LA's mornings through the real stack.

Usage: python tests/bench/pipeline.py [--schools 100] [--pupils 600] [--rate 5000]
BENCH_SCALE=small: 8 schools of 600 pupils. Starts the broker and the four services (API and
worker each, as `make run` does) on fresh PostgreSQL databases (a private server; TEST_DATABASE_URL's
with --shared-postgres), seeds the pupils, settles the databases as a night would (VACUUM ANALYZE,
a checkpoint), then, in one run:
- saturation: every school's morning register posted at once (16 in flight); API marks/s, and end
  to end (until alerts and notifications hold every mark and every first-day message exists);
- fixed rate: mornings paced at --rate marks/s;
- for both: latency mark -> first-day alert and mark -> parent's app message (from the API's
  answer to the alert's raised_at / the message's created_at), and consumer lag over time
  (marks the registers hold minus marks alerts and notifications have applied);
- raw COPY of the same number of rows into a copy of the registers' marks table (the floor).
Prints a table, then one JSON line. Not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import statements
from cpu import per_mark, snapshot
from pipeline_load import Databases, Posted, post_registers, register, seed
from pyspy import Profiles
from report import print_figures
from server import bench_postgres

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from e2e_receivers import start_smtp
from e2e_stack import Stack

from attendance_common.testing.databases import TestDatabases
from registers.bulk import MARK_COLUMNS

FIRST_MORNING = dt.date(2025, 11, 3)
ENGLAND_DAY_MARKS = 18_000_000  # about 9 million pupils, two sessions


def mornings(start: dt.date, count: int) -> list[dt.date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": -1, "p95": -1, "p99": -1}
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": round(pick(0.5) * 1000), "p95": round(pick(0.95) * 1000), "p99": round(pick(0.99) * 1000)}


async def phase(
    name: str,
    stack: Stack,
    dbs: Databases,
    days: list[dt.date],
    args,
    rate: float | None,
    deadline: float,
    sessions: tuple[str, ...] = ("AM",),
) -> dict[str, object]:
    """Post these days' registers (mornings only by default) for every school; sample the lag until
    drained; latencies (of a one-session phase) and the CPU each process spent per mark; with
    --profile, where PostgreSQL's and each process's time went."""
    base = stack.url("registers")
    processes = {
        f"{service}_{kind}": process.pid
        for kind, running in (("api", stack.apis), ("worker", stack.workers))
        for service, process in running.items()
    }
    processes["broker"] = stack.broker.pid  # type: ignore[union-attr]
    databases = {name: url.rsplit("/", 1)[-1] for name, url in stack.database_urls.items()}
    registers = [
        (s, d, session, register(s, args.pupils, d, session))
        for d in days
        for session in sessions
        for s in range(args.schools)
    ]
    # One first-day alert a pupil a date, whichever session was the first N.
    expected_n = len({(m["upn"], m["date"]) for *_, marks in registers for m in marks if m["code"] == "N"})
    posted = Posted()
    lag: list[tuple[float, int, int]] = []
    drained = False
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=32)) as client:
        poster = asyncio.create_task(
            post_registers(client, base, registers, concurrency=16, rate=rate, posted=posted)
        )
        profiles = Profiles(args.profile) if args.profile else None
        if profiles:
            await statements.reset(stack.databases.admin_url)  # type: ignore[arg-type]
            profiles.start(processes, name)
        started = time.time()
        cpu_before = snapshot(processes, databases)
        while time.time() - started < deadline:
            applied = await dbs.applied(days)
            lag.append(
                (
                    time.time() - started,
                    applied["registers"] - applied["alerts"],
                    applied["registers"] - applied["notifications"],
                )
            )
            if poster.done():
                poster.result()
                alerts, messages = await dbs.first_day(days)
                if (
                    applied["alerts"] == applied["notifications"] == applied["registers"] == posted.marks
                    and len(alerts) == expected_n
                    and sum(a in messages for a in alerts) == expected_n
                ):
                    drained = True
                    break
            await asyncio.sleep(0.5)
        drained_at = time.time()
        cpu_after = snapshot(processes, databases)
        python = profiles.stop(name) if profiles else {}
        if not poster.done():
            poster.cancel()
    alerts, messages = await dbs.first_day(days)
    session = sessions[0]
    to_alert = [raised - posted.answered[(urn, day, session)] for urn, day, raised in alerts.values()]
    to_message = [
        messages[a] - posted.answered[(urn, day, session)]
        for a, (urn, day, _) in alerts.items()
        if a in messages
    ]
    marks = posted.marks
    figures: dict[str, object] = {
        f"{name}_marks": marks,
        f"{name}_api_marks_per_s": round(marks / max(1e-9, posted.last_answered - posted.first_sent)),
        f"{name}_end_to_end_marks_per_s": round(marks / max(1e-9, drained_at - posted.first_sent)),
        f"{name}_lag_drained": drained,
        f"{name}_first_day_alerts": len(alerts),
        f"{name}_first_day_alerts_expected": expected_n,
    }
    if len(sessions) == 1:  # an afternoon's alert may be from its morning's N: no single start time
        for key, values in (("mark_to_alert", to_alert), ("mark_to_message", to_message)):
            for q, value in percentiles(values).items():
                figures[f"{name}_{key}_{q}_ms"] = value
    figures[f"{name}_s"] = round(drained_at - posted.first_sent, 1)
    figures[f"{name}_cpu_us_per_mark"] = per_mark(cpu_before, cpu_after, marks)
    if args.profile:
        admin_url = stack.databases.admin_url
        figures[f"{name}_postgres_statements"] = await statements.top(admin_url, databases, marks)  # type: ignore[arg-type]
        figures[f"{name}_python_profile"] = python
    step = max(1, len(lag) // 12)
    figures[f"{name}_lag_marks_alerts_notifications"] = [(round(t, 1), a, n) for t, a, n in lag[::step]]
    return figures


async def copy_rows(url: str, rows: int) -> float:
    """Rows per second of a raw COPY into a copy of the registers' marks table (same indexes)."""
    pg = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await pg.execute("CREATE TABLE marks_copy (LIKE marks INCLUDING DEFAULTS INCLUDING INDEXES)")
        ids = [r["id"] for r in await pg.fetch("SELECT id FROM pupils ORDER BY id")]
        now = dt.datetime.now(dt.UTC)
        days = mornings(dt.date(2025, 12, 1), max(1, rows // len(ids)))
        records = [(pid, d, "AM", "/", None, now, "bench", "mis", None) for d in days for pid in ids]
        started = time.perf_counter()
        await pg.copy_records_to_table("marks_copy", records=records, columns=MARK_COLUMNS)
        return len(records) / (time.perf_counter() - started)
    finally:
        await pg.close()


def england_day_minutes(marks_per_s: float) -> float:
    """Minutes England's school day of marks would take at this end-to-end rate."""
    return round(ENGLAND_DAY_MARKS / max(1e-9, marks_per_s) / 60, 1)


async def national_day(stack: Stack, dbs: Databases, args: argparse.Namespace) -> dict[str, object]:
    """A whole school day for every school (scaled by --schools and --pupils): each school's morning
    register posted at once, then the afternoons', until every alert and message is made."""
    day = mornings(FIRST_MORNING, 1 + args.warm_days)[-1]
    figures = await phase("national_day", stack, dbs, [day], args, None, deadline=3600, sessions=("AM", "PM"))
    rate = figures["national_day_end_to_end_marks_per_s"]
    return figures | {"ingest_marks_per_s": rate, "england_day_minutes": england_day_minutes(rate)}  # type: ignore[arg-type]


def stop_on_sigterm(*_: object) -> None:
    raise KeyboardInterrupt  # so the stack's processes and databases are cleaned up in `finally`


async def main() -> None:
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    small = os.environ.get("BENCH_SCALE") == "small"
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=8 if small else 100)
    parser.add_argument("--pupils", type=int, default=600)
    parser.add_argument("--rate", type=float, default=5000, help="offered marks/s of the fixed-rate phase")
    parser.add_argument("--fixed-mornings", type=int, default=3 if small else 1)
    parser.add_argument(
        "--warm-days", type=int, default=1, help="school days posted (not measured) before the measured ones"
    )
    parser.add_argument("--shared-postgres", action="store_true", help="use TEST_DATABASE_URL's server")
    parser.add_argument(
        "--national-day",
        action="store_true",
        help="instead of the two phases: one whole school day (morning burst, then afternoon)",
    )
    parser.add_argument(
        "--profile", type=Path, help="pg_stat_statements and py-spy: top statements and functions, files here"
    )
    args = parser.parse_args()
    with bench_postgres(shared=args.shared_postgres, with_statements=bool(args.profile)) as server:
        admin_url, described, loaded = server
        if args.profile and not loaded:
            parser.error("--profile needs the private server (pg_stat_statements): drop --shared-postgres")
        figures = await run(args, admin_url, described)
    print_figures(figures)


async def run(args: argparse.Namespace, admin_url: str, described: str) -> dict[str, object]:
    databases = TestDatabases(admin_url, Path("/tmp"))
    controller, mailbox = start_smtp()
    logs = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    env = {
        "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
        "NOTIFICATIONS_SMTP_PORT": str(mailbox.port),
        "LOG_LEVEL": "WARNING",
    }
    stack = Stack(databases, logs, extra_env=env, proxied=False)
    figures: dict[str, object] = {
        "schools": args.schools,
        "pupils": args.schools * args.pupils,
        "postgres": described,
    }
    try:
        stack.start()
        started = time.time()
        await seed(stack.database_urls["registers"], args.schools, args.pupils)
        dbs = Databases(stack.database_urls)
        await dbs.open()
        total = args.schools * args.pupils
        await dbs.wait_for_pupils(total)
        figures["seed_s"] = round(time.time() - started, 1)
        days = mornings(FIRST_MORNING, args.warm_days + 1 + args.fixed_mornings)
        warm, days = days[: args.warm_days], days[args.warm_days :]
        if warm:  # not measured: the school days behind a real morning (windows, year counts)
            figures["warm_s"] = (await phase("warm", stack, dbs, warm, args, None, 600, ("AM", "PM")))[
                "warm_s"
            ]
        started = time.time()
        await dbs.settle()
        figures["settle_s"] = round(time.time() - started, 1)
        if args.national_day:
            figures |= await national_day(stack, dbs, args)
            await dbs.close()
            return figures
        figures |= await phase("saturation", stack, dbs, days[:1], args, None, deadline=300)
        figures |= await phase("fixed", stack, dbs, days[1:], args, args.rate, deadline=300)
        await dbs.close()
        figures["copy_rows_per_s"] = round(
            await copy_rows(stack.database_urls["registers"], figures["saturation_marks"])
        )
    finally:
        stack.stop()
        controller.stop()
        databases.drop_all()
    fixed_marks = int(figures["fixed_marks"])  # type: ignore[call-overload]
    figures["offered_marks_per_s"] = args.rate
    figures["fixed_achieved_marks_per_s"] = figures["fixed_api_marks_per_s"]
    figures["ingest_marks_per_s"] = figures["saturation_end_to_end_marks_per_s"]
    figures["ingest_to_copy_ratio"] = round(figures["ingest_marks_per_s"] / figures["copy_rows_per_s"], 3)  # type: ignore[operator]
    figures["mark_to_alert_p99_ms"] = figures["fixed_mark_to_alert_p99_ms"]
    figures["mark_to_message_p99_ms"] = figures["fixed_mark_to_message_p99_ms"]
    figures["lag_drained"] = bool(figures["saturation_lag_drained"] and figures["fixed_lag_drained"])
    figures["fixed_marks"] = fixed_marks
    figures["logs"] = str(logs)
    figures["england_day_minutes"] = england_day_minutes(figures["ingest_marks_per_s"])  # type: ignore[arg-type]
    return figures


if __name__ == "__main__":
    asyncio.run(main())
