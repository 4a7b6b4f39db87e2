"""PostgreSQL restarted under load: a private server (never the machine's shared one), crashed
mid-term and started again; the MIS retries, the workers wait it out, nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter

import asyncpg
import pytest
from e2e_checks import settle_and_check
from e2e_client import Driver
from e2e_expect import expect
from e2e_faults import e2e_postgres
from e2e_receivers import smtp_env
from e2e_school import make_school
from e2e_stack import DELIVERY_BATCH, Stack, logs_dir

from attendance_common.testing.databases import TestDatabases
from attendance_common.testing.postgres import PrivatePostgres

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


@pytest.mark.skipif(
    not PrivatePostgres.available(), reason="PostgreSQL's server tools (initdb, pg_ctl) not found"
)
def test_postgres_restarted_under_load_loses_and_doubles_nothing(smtp, webhooks, tmp_path_factory):
    with e2e_postgres() as (admin_url, server):
        databases = TestDatabases(admin_url, tmp_path_factory.mktemp("sqlite"))
        stack = Stack(databases, logs_dir(tmp_path_factory, "e2e-pg-logs"), extra_env=smtp_env(smtp))
        try:
            stack.start()
            school = make_school("100005", "384", size=200, seed=5)
            driver = Driver(stack, school)
            driver.enrol(webhook_url=webhooks.url)
            restarts: list[threading.Thread] = []

            def between(n: int) -> None:
                if n in (50, 110):  # crash it while registers keep coming
                    restarts.append(threading.Thread(target=server.restart, args=(4,)))
                    restarts[-1].start()

            assert driver.post_term(between) == Counter(accepted=school.mark_count())
            for thread in restarts:
                thread.join()
            # A crash between sending and recording a batch of deliveries sends that batch again.
            resent = len(restarts) * DELIVERY_BATCH
            settle_and_check(driver, expect(school, settled=False), smtp, webhooks, at_least_once=resent)
        finally:
            stack.stop()


@pytest.mark.skipif(
    not PrivatePostgres.available(), reason="PostgreSQL's server tools (initdb, pg_ctl) not found"
)
def test_the_server_keeps_every_commit_it_acknowledged_before_a_crash() -> None:
    """What the test above presumes of its server: a crash loses no acknowledged commit (an
    asynchronous commit is acknowledged before its WAL is written, and the crash drops it)."""
    with e2e_postgres() as (admin_url, server):
        acknowledged = asyncio.run(commit_until_crash(admin_url, server))
        server.start()
        kept = asyncio.run(count_rows(admin_url))
    assert acknowledged > 0
    assert kept >= acknowledged, f"{acknowledged - kept} acknowledged commits lost in the crash"


async def commit_until_crash(url: str, server: PrivatePostgres) -> int:
    """Commit a row at a time while the server is stopped like a crash; how many were acknowledged."""
    connection = await asyncpg.connect(url)
    await connection.execute("CREATE TABLE acknowledged (n int PRIMARY KEY)")
    acknowledged = 0

    async def commit() -> None:
        nonlocal acknowledged
        with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):  # the crash
            while True:
                await connection.execute("INSERT INTO acknowledged VALUES ($1)", acknowledged + 1)
                acknowledged += 1

    committing = asyncio.create_task(commit())
    await asyncio.sleep(0.5)
    await asyncio.to_thread(server.stop, "immediate")
    await committing
    connection.terminate()
    return acknowledged


async def count_rows(url: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM acknowledged"))
    finally:
        await connection.close()
