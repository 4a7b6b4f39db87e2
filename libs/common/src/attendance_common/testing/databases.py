"""Throwaway databases for tests: a fresh PostgreSQL database each, or a SQLite file when PG is away."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from attendance_common.db import run_blocking
from attendance_common.settings import normalise_database_url

DEFAULT_TEST_DATABASE_URL = "postgresql://root@127.0.0.1:5432/test"


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def postgres_reachable(url: str, timeout: float = 3) -> str | None:
    """None if PostgreSQL answers at `url`, else why not."""
    try:
        connection = await asyncpg.connect(_plain(url), timeout=timeout)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"{type(error).__name__}: {error}"
    await connection.close()
    return None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(_plain(url))
    return urlunsplit(parts._replace(path=f"/{name}"))


class TestDatabases:
    """Creates databases named `attendance_test_<label>_<random>` and drops them all at the end."""

    __test__ = False  # not a test class

    def __init__(self, admin_url: str | None, sqlite_dir: Path) -> None:
        self.admin_url = admin_url
        self.sqlite_dir = sqlite_dir
        self.created: list[str] = []

    @property
    def backend(self) -> str:
        return "postgresql" if self.admin_url else "sqlite"

    def create(self, label: str, backend: str | None = None) -> str:
        """A new empty database; returns its async SQLAlchemy URL."""
        name = f"attendance_test_{label}_{uuid.uuid4().hex[:8]}"
        if (backend or self.backend) == "sqlite" or not self.admin_url:
            return f"sqlite+aiosqlite:///{self.sqlite_dir / (name + '.db')}"
        run_blocking(self._execute(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return normalise_database_url(_with_database(self.admin_url, name))

    def drop_all(self) -> None:
        for name in self.created:
            run_blocking(self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.created.clear()

    async def _execute(self, statement: str) -> None:
        assert self.admin_url
        connection = await asyncpg.connect(_plain(self.admin_url))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()
