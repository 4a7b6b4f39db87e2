"""Checks every service's migrations pass: they build exactly the models' schema and undo cleanly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from attendance_common.db import run_blocking
from attendance_common.migrations import alembic_config, service_metadata, upgrade_database


def schema_differences(script_location: Path, metadata: MetaData, url: str) -> list[Any]:
    """Upgrade `url` to head; return what differs between the database and the models (none, ideally)."""
    upgrade_database(script_location, url)

    async def compare() -> list[Any]:
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                # Alembic compares a list of metadata too (its hint says one): the service's and the common.
                lambda sync: compare_metadata(MigrationContext.configure(sync), service_metadata(metadata))  # type: ignore[arg-type]
            )
        await engine.dispose()
        return list(differences)

    return run_blocking(compare())


def tables_after_downgrade(script_location: Path, url: str) -> list[str]:
    """Downgrade `url` to base; return the tables left (only Alembic's own, ideally)."""
    command.downgrade(alembic_config(script_location, url), "base")

    async def tables() -> list[str]:
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        await engine.dispose()
        return [name for name in names if name != "alembic_version"]

    return run_blocking(tables())
