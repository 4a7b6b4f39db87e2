"""Benchmark: the alerts worker alone, at two population sizes, with one and two worker processes.

Usage: python tests/bench/alerts_worker.py [--pupils 10000 500000] [--workers 1 2] [--shared-postgres]
                                          [--prefill-mornings 4]
The database is a private PostgreSQL started for the run with a production server's memory
(`BENCH_POSTGRES`: 2 GB of shared buffers; durability as default), so the 500k-pupil working set
fits as it would in production; `--shared-postgres` uses TEST_DATABASE_URL's server as it is.
For each size: a fresh alerts database filled by PREFILL_MORNINGS mornings (every pupil has a
week's state: the measure is of ordinary mornings, not a term's first ones) and analysed (as
autovacuum keeps a database in use). Then, for each worker count, new mornings of marks for every
pupil (three; more for a small population, so at least 150,000 marks are timed), encoded before
the clock starts, are sent to the topic once that many worker processes have formed their group
(as deployed: replicas up to the partition count); the time runs from the first fetch to the
last event applied. Reports marks/s and the wall-clock cost per mark. Not a test: it asserts nothing.
`--prefill-mornings 21` measures with emerging absence's 20-school-day window full, so each new
morning also takes the day leaving the window off every pupil's counts."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
from report import print_figures
from server import bench_postgres

from alerts.settings import Settings
from alerts.worker import CONSUMER
from attendance_common.broker import free_port, start_broker, stop_broker
from attendance_common.db import Database
from attendance_common.events.base import MARKS_TOPIC
from attendance_common.events.envelope import make_event
from attendance_common.events.registers import MarksRecorded, RecordedMark
from attendance_common.identifiers import make_upn
from attendance_common.messaging import ConsumerSpec, Worker
from attendance_common.messaging.kafka import ensure_topics, make_producer
from attendance_common.migrations import upgrade_database
from attendance_common.runtime import tune_gc
from attendance_common.testing.databases import TestDatabases

ROOT = Path(__file__).resolve().parents[2]
SCHOOL = 1_000
PARTITIONS = 6  # worker processes in one group share at most this many partitions
SETTLE_SECONDS = 4.0  # for the group to form (fast rebalance settings) before the mornings are sent
# Measured mornings per worker count: at least 3, and at least MEASURED_MARKS marks, so a small
# population is timed over seconds, not over its first fetch.
MORNINGS = 3
PREFILL_MORNINGS = 4
MEASURED_MARKS = 150_000
CODES = ["/"] * 92 + ["N"] * 4 + ["I"] * 2 + ["O", "M"]


Record = tuple[bytes, list[tuple[str, bytes]], bytes]  # key, headers, value


def encode_day(schools: int, day: dt.date, now: dt.datetime) -> list[Record]:
    """One AM register for every pupil: one event per school of 1,000 marks, keyed by URN."""
    records = []
    for s in range(schools):
        urn = str(300_000 + s)
        marks = [
            RecordedMark.model_construct(
                upn=make_upn("801", f"{s % 10_000:04d}", f"{15 + s // 10_000:02d}", f"{p:03d}"),
                date=day,
                session="AM",
                code=CODES[(p * 7 + s + day.day) % 100],
                minutes_late=None,
                recorded_at=now,
            )
            for p in range(SCHOOL)
        ]
        event = make_event(MarksRecorded(school_urn=urn, la_code="380", marks=marks), source="registers")
        headers, value = event.to_kafka()
        records.append((urn.encode(), headers, value))
    return records


async def send(producer: Any, records: list[Record]) -> None:
    sent = [
        await producer.send(MARKS_TOPIC, value=value, key=key, headers=headers)
        for key, headers, value in records
    ]
    await asyncio.gather(*sent)


def bench_settings(url: str, bootstrap: str) -> Settings:
    # Short group timeouts, as in tests: Tansu forms a group in about the rebalance timeout.
    return Settings(
        database_url=url,
        kafka_bootstrap_servers=bootstrap,
        log_level="WARNING",
        kafka_partitions=PARTITIONS,
        kafka_session_timeout_ms=3000,
        kafka_heartbeat_interval_ms=200,
        kafka_rebalance_timeout_ms=1000,
    )


def marks_consumer(group: str) -> ConsumerSpec:
    """The service's own consumer (batch size, lanes) on the marks topic, as a new group."""
    return replace(CONSUMER, name=group, topics=(MARKS_TOPIC,))


async def prefill(settings: Settings, url: str, group: str, events: int) -> None:
    """Apply the prefill mornings in this process, so every pupil has state before the measure."""
    worker = Worker(settings, Database(url), consumers=[marks_consumer(group)])
    task = asyncio.create_task(worker.run())
    while not worker.consumers or worker.consumers[0].applied < events:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    worker.stop.set()
    await task
    await worker.database.dispose()


async def analyze(url: str) -> None:
    """Table statistics, as autovacuum keeps them on a database in use: without them the planner
    takes the tables just filled for empty and reads 1,000 pupils' rows by sequential scans."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def worker_process(url: str, bootstrap: str, group: str, reports: Any, stop: Any) -> None:
    """One alerts worker process, as deployed (GC tuned), reporting its progress to the parent."""
    asyncio.run(_report_progress(url, bootstrap, group, reports, stop))


async def _report_progress(url: str, bootstrap: str, group: str, reports: Any, stop: Any) -> None:
    tune_gc()
    worker = Worker(bench_settings(url, bootstrap), Database(url), consumers=[marks_consumer(group)])
    task = asyncio.create_task(worker.run())
    loop, applied = asyncio.get_running_loop(), -1
    while not stop.is_set():
        if task.done():
            task.result()
        consumer = worker.consumers[0] if worker.consumers else None
        if consumer is not None and consumer.applied != applied:
            applied = consumer.applied  # loop time is CLOCK_MONOTONIC: comparable across processes
            reports.put((os.getpid(), applied, consumer.first_batch_at, loop.time(), time.process_time()))
        await asyncio.sleep(0.005)
    worker.stop.set()
    await task
    await worker.database.dispose()


async def consume_in_processes(
    workers: int,
    url: str,
    bootstrap: str,
    group: str,
    send_records: Callable[[], Awaitable[None]],
    events: int,
) -> float:
    """Start `workers` processes in one group, let the group form, send the (already encoded)
    mornings; the seconds from the first fetch to the last event applied."""
    context = multiprocessing.get_context("spawn")
    reports, stop = context.Queue(), context.Event()
    processes = [
        context.Process(target=worker_process, args=(url, bootstrap, group, reports, stop))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    latest: dict[int, tuple[int, float | None, float, float]] = {}
    cpu_at_start: dict[int, float] = {}
    while len(latest) < workers:  # each reports once it runs its consumer
        pid, applied, first, at, cpu = await asyncio.to_thread(reports.get)
        latest[pid] = (applied, first, at, cpu)
    await asyncio.sleep(SETTLE_SECONDS)  # every member joined and was assigned its partitions
    cpu_at_start = {pid: cpu for pid, (_, _, _, cpu) in latest.items()}
    await send_records()
    while sum(applied for applied, _, _, _ in latest.values()) < events:
        pid, applied, first, at, cpu = await asyncio.to_thread(reports.get)
        latest[pid] = (applied, first, at, cpu)
    stop.set()
    for process in processes:
        process.join()
    if os.environ.get("BENCH_DEBUG"):
        for pid, (applied, first, at, cpu) in latest.items():
            used = cpu - cpu_at_start[pid]
            print(f"worker {pid}: {applied} events, {(at - (first or at)):.2f} s, CPU {used:.2f} s")
    starts = [first for _, first, _, _ in latest.values() if first is not None]
    return max(at for _, _, at, _ in latest.values()) - min(starts)


async def measure(
    pupils: int,
    workers: list[int],
    bootstrap: str,
    databases: TestDatabases,
    prefill_mornings: int = PREFILL_MORNINGS,
) -> dict[str, float]:
    schools = max(1, pupils // SCHOOL)
    url = databases.create("bench_alerts", backend="postgresql")
    upgrade_database(ROOT / "services/alerts/migrations", url)
    settings = bench_settings(url, bootstrap)
    await ensure_topics(settings)
    producer = make_producer(settings)
    await producer.start()
    now = dt.datetime.now(dt.UTC)
    group = f"bench-{uuid.uuid4().hex[:8]}"
    first = dt.date(2026, 11, 9)
    for i in range(prefill_mornings):
        await send(producer, encode_day(schools, first + dt.timedelta(i), now))
    await prefill(settings, url, group, schools * prefill_mornings)  # every pupil has state now
    await analyze(url)
    figures: dict[str, float] = {"pupils": pupils}
    day = first + dt.timedelta(prefill_mornings)
    mornings = max(MORNINGS, -(-MEASURED_MARKS // (schools * SCHOOL)))
    for n in workers:  # new mornings for each worker count, encoded before the clock starts
        records = [r for i in range(mornings) for r in encode_day(schools, day + dt.timedelta(i), now)]
        day += dt.timedelta(mornings)
        elapsed = await consume_in_processes(
            n, url, bootstrap, group, partial(send, producer, records), len(records)
        )
        marks = len(records) * SCHOOL
        figures[f"{n}w_marks_per_s"] = round(marks / elapsed)
        figures[f"{n}w_us_per_mark"] = round(elapsed / marks * 1e6, 1)
    await producer.stop()
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pupils", type=int, nargs="+", default=[10_000, 500_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--shared-postgres", action="store_true", help="use TEST_DATABASE_URL's server")
    parser.add_argument("--prefill-mornings", type=int, default=PREFILL_MORNINGS)
    args = parser.parse_args()
    with bench_postgres(shared=args.shared_postgres) as (admin_url, described, _):
        figures = await run(args, admin_url, described)
    print_figures(figures)


async def run(args: argparse.Namespace, admin_url: str, postgres: str) -> dict[str, object]:
    databases = TestDatabases(admin_url, Path("/tmp"))
    port = free_port()
    broker = start_broker(port)
    figures: dict[str, object] = {"postgres": postgres}
    try:
        results = [
            await measure(n, args.workers, f"127.0.0.1:{port}", databases, args.prefill_mornings)
            for n in args.pupils
        ]
    finally:
        stop_broker(broker)
        databases.drop_all()
    for result in results:
        for name, value in result.items():
            if name != "pupils":
                figures[f"alerts_{result['pupils']}_{name}"] = value
    if len(results) >= 2:
        for n in args.workers:
            rate = f"{n}w_marks_per_s"
            figures[f"{n}w_large_to_small_rate_ratio"] = round(results[-1][rate] / results[0][rate], 3)
    return figures


if __name__ == "__main__":
    asyncio.run(main())
