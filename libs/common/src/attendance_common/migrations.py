"""Alembic helpers: the body of every service's `migrations/env.py`, and upgrades run from code."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from attendance_common.db import CommonBase, UtcDateTime, is_sqlite, run_blocking
from attendance_common.settings import normalise_database_url


def service_metadata(metadata: MetaData) -> list[MetaData]:
    """A service's own tables plus the outbox, inbox, idempotency and audit tables every service has."""
    # Importing the modules registers their tables on CommonBase.metadata.
    from attendance_common import audit, idempotency  # noqa: F401
    from attendance_common.messaging import inbox, outbox  # noqa: F401

    return [metadata, CommonBase.metadata]


def run_migrations(target_metadata: Sequence[MetaData], default_url: Callable[[], str]) -> None:
    """Run from a service's env.py; the URL comes from the Alembic config, else the service settings."""
    config = context.config
    url = normalise_database_url(config.get_main_option("sqlalchemy.url") or default_url())
    options: dict[str, Any] = {
        "target_metadata": list(target_metadata),
        # SQLite cannot ALTER most things in place: batch mode rebuilds the table instead.
        "render_as_batch": is_sqlite(url),
        "compare_type": True,
        "render_item": _render_item,
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    run_blocking(run_async())


def _render_item(kind: str, item: Any, _context: Any) -> str | bool:
    """Migrations name plain column types: UtcDateTime is a Python-side wrapper of timestamptz."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def alembic_config(script_location: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(script_location: Path, url: str, revision: str = "head") -> None:
    """Migrate `url` to `revision`, creating the SQLite file's folder if needed.

    Synchronous; safe to call from async code too (Alembic then runs on its own thread).
    """
    url = normalise_database_url(url)
    if is_sqlite(url):
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(script_location, url), revision)


def create_common_tables_v1() -> None:
    """In a service's first migration: the outbox, inbox and idempotency-key tables, as of version 1.

    Frozen like any migration: a later change to these tables gets its own helper and revision.
    """
    from alembic import op
    from sqlalchemy import (
        BigInteger,
        Column,
        DateTime,
        Integer,
        PrimaryKeyConstraint,
        String,
        Text,
        UniqueConstraint,
        text,
    )

    stamp = DateTime(timezone=True)
    op.create_table(
        "idempotency_keys",
        Column("sub", String(200), nullable=False),
        Column("path", String(500), nullable=False),
        Column("key", String(200), nullable=False),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer(), nullable=False),
        Column("response", Text(), nullable=False),
        Column("created_at", stamp, nullable=False),
        PrimaryKeyConstraint("sub", "path", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    op.create_table(
        "inbox",
        Column("consumer", String(100), nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("processed_at", stamp, nullable=False),
        PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )
    op.create_table(
        "outbox",
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), autoincrement=True, nullable=False),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("source", String(100), nullable=False),
        Column("subject", String(200)),
        Column("dataschema", String(200)),
        Column("traceparent", String(100)),
        Column("time", stamp, nullable=False),
        Column("data", Text(), nullable=False),
        Column("sent_at", stamp),
        PrimaryKeyConstraint("id", name="pk_outbox"),
        UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    unsent = text("sent_at IS NULL")
    op.create_index("ix_outbox_unsent", "outbox", ["id"], postgresql_where=unsent, sqlite_where=unsent)


def drop_common_tables_v1() -> None:
    from alembic import op

    op.drop_index("ix_outbox_unsent", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("inbox")
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
