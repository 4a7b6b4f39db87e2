"""`python -m attendance_common.retention`: the tables every service has (audit log, outbox, inbox,
idempotency keys) kept as docs/retention.md says, a dry run that counts and deletes nothing, a purge
in batches, and `all`; on PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import uuid

import pytest
from sqlalchemy import func, select

from attendance_common.audit.models import RETENTION, AuditEntry
from attendance_common.clock import now_utc
from attendance_common.db import Database
from attendance_common.idempotency import IdempotencyRow
from attendance_common.messaging.inbox import InboxRow
from attendance_common.messaging.outbox import OutboxRow
from attendance_common.migrations import upgrade_database
from attendance_common.retention import COMMON_RULES
from attendance_common.retention.__main__ import main
from attendance_common.testing.retention import check_schedule, migrated

pytestmark = pytest.mark.integration

SERVICES = ("registers", "alerts", "casework", "notifications")
MINUTE = dt.timedelta(minutes=1)


def migrations(service: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"{service}.main").MIGRATIONS


def idempotency_row(created_at: dt.datetime) -> IdempotencyRow:
    return IdempotencyRow(
        sub="mis",
        path="/v1/schools/100001/marks",
        key=str(uuid.uuid4()),
        request_hash="0" * 64,
        status_code=200,
        response="{}",
        created_at=created_at,
    )


def outbox_row(sent_at: dt.datetime | None) -> OutboxRow:
    return OutboxRow(
        topic="attendance.marks",
        key="100001",
        event_id=str(uuid.uuid4()),
        event_type="attendance.marks.recorded",
        source="registers",
        time=now_utc() - dt.timedelta(days=30),
        data="{}",
        sent_at=sent_at,
    )


def inbox_row(processed_at: dt.datetime) -> InboxRow:
    return InboxRow(consumer="alerts-worker", event_id=str(uuid.uuid4()), processed_at=processed_at)


def audit_entry(at: dt.datetime) -> AuditEntry:
    return AuditEntry(
        at=at,
        sub="staff",
        role="school_staff",
        action="read",
        method="GET",
        resource="/v1/schools/{urn}/pupils/{upn}",
        path="/v1/schools/100001/pupils/A123456789012",
        status=200,
    )


async def test_the_tables_every_service_has(backend, test_databases):
    # The audit log's trigger refuses to delete younger entries by the database's clock: use the real now.
    now = now_utc()
    database = await migrated(test_databases, "common_retention", backend, migrations("registers"))
    try:
        await check_schedule(
            database,
            COMMON_RULES,
            now,
            [
                (idempotency_row(now - dt.timedelta(hours=24) - MINUTE), True),
                (idempotency_row(now - dt.timedelta(hours=24) + MINUTE), False),
                (outbox_row(now - dt.timedelta(days=7) - MINUTE), True),
                (outbox_row(now - dt.timedelta(days=7) + MINUTE), False),
                (outbox_row(None), False),  # never sent: never purged
                (inbox_row(now - dt.timedelta(days=30) - MINUTE), True),
                (inbox_row(now - dt.timedelta(days=30) + MINUTE), False),
                (audit_entry(now - RETENTION - MINUTE), True),
                (audit_entry(now - RETENTION + MINUTE), False),
            ],
        )
    finally:
        await database.dispose()


def idempotency_keys(url: str) -> int:
    async def count() -> int:
        database = Database(url)
        try:
            async with database.transaction() as session:
                return int(await session.scalar(select(func.count()).select_from(IdempotencyRow)) or 0)
        finally:
            await database.dispose()

    return asyncio.run(count())


def migrated_url(test_databases, label: str, backend: str, service: str) -> str:  # type: ignore[no-untyped-def]
    url = test_databases.create(label, backend=backend)
    upgrade_database(migrations(service), url)
    return str(url)


def test_dry_run_counts_and_deletes_nothing_then_the_purge_goes_in_batches(
    backend, test_databases, monkeypatch, capsys
):
    url = migrated_url(test_databases, "retention_command", backend, "registers")
    now = now_utc()

    async def seed() -> None:
        database = Database(url)
        async with database.transaction() as session:
            session.add_all([idempotency_row(now - dt.timedelta(days=2)) for _ in range(5)])
            session.add(idempotency_row(now))
        await database.dispose()

    asyncio.run(seed())
    monkeypatch.setenv("REGISTERS_DATABASE_URL", url)

    assert main(["registers", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "registers: 5 rows due (dry run)" in printed
    assert [line.split()[:3] for line in printed.splitlines() if "idempotency_keys" in line] == [
        ["idempotency_keys", "5", "due"]
    ]
    assert idempotency_keys(url) == 6

    assert main(["registers", "--batch-size", "2"]) == 0
    assert "registers: 5 rows deleted" in capsys.readouterr().out
    assert idempotency_keys(url) == 1


def test_all_runs_every_installed_service_on_its_own_database(test_databases, monkeypatch, capsys):
    for service in SERVICES:
        url = migrated_url(test_databases, f"retention_all_{service}", "sqlite", service)
        monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", url)

    assert main(["all", "--dry-run"]) == 0

    headers = [line for line in capsys.readouterr().out.splitlines() if not line.startswith(" ")]
    assert headers == [f"{service}: 0 rows due (dry run)" for service in SERVICES]


def test_an_unknown_service_is_refused(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["payroll"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
