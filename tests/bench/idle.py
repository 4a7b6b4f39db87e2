"""Benchmark: what the stack costs doing nothing (a night, a weekend): CPU per process, idle.

Usage: python tests/bench/idle.py [--seconds 30] [--shared-postgres]
Starts the broker and the four services (API and worker each) on fresh PostgreSQL databases (a
private server, as the pipeline benchmark's), lets them settle, then reads from /proc how much of
a core each process and each service's database used over `--seconds` with nothing to do. The
workers' loops sleep until rows commit (PostgreSQL NOTIFY): a worker that polled would show here.
Prints a table, then one JSON line. Not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from cpu import snapshot
from report import print_figures
from server import bench_postgres

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from e2e_receivers import start_smtp
from e2e_stack import Stack

from attendance_common.testing.databases import TestDatabases

SETTLE_SECONDS = 10  # startup's own work (migrations, first connections, topic creation) ends


async def idle(seconds: float, admin_url: str, described: str) -> dict[str, object]:
    databases = TestDatabases(admin_url, Path("/tmp"))
    controller, mailbox = start_smtp()
    logs = Path(tempfile.mkdtemp(prefix="bench-idle-"))
    env = {"NOTIFICATIONS_SMTP_HOST": "127.0.0.1", "NOTIFICATIONS_SMTP_PORT": str(mailbox.port)}
    stack = Stack(databases, logs, extra_env=env | {"LOG_LEVEL": "WARNING"}, proxied=False)
    try:
        stack.start()
        await asyncio.sleep(SETTLE_SECONDS)
        processes = {
            f"{service}_{kind}": process.pid
            for kind, running in (("api", stack.apis), ("worker", stack.workers))
            for service, process in running.items()
        }
        processes["broker"] = stack.broker.pid  # type: ignore[union-attr]
        names = {name: url.rsplit("/", 1)[-1] for name, url in stack.database_urls.items()}
        before, started = snapshot(processes, names), time.monotonic()
        await asyncio.sleep(seconds)
        after, elapsed = snapshot(processes, names), time.monotonic() - started
    finally:
        stack.stop()
        controller.stop()
        databases.drop_all()
    percent = {
        f"{name}_core_percent": round(100 * (after[name] - before[name]) / elapsed, 2)
        for name in after
        if name != "bench"
    }
    return {"postgres": described, "idle_s": round(elapsed, 1)} | percent


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--shared-postgres", action="store_true", help="use TEST_DATABASE_URL's server")
    args = parser.parse_args()
    with bench_postgres(shared=args.shared_postgres) as (admin_url, described, _):
        print_figures(await idle(args.seconds, admin_url, described))


if __name__ == "__main__":
    asyncio.run(main())
