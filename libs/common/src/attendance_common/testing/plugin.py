"""Pytest plugin shared by every service's tests: a Tansu broker and throwaway databases.

Loaded automatically (entry point `attendance`). Integration tests ask for `kafka_bootstrap`
and `test_databases`; PostgreSQL is used when reachable at TEST_DATABASE_URL (default
postgresql://root@127.0.0.1:5432/test), SQLite otherwise, and the run says which.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from attendance_common.broker import free_port, start_broker, stop_broker
from attendance_common.testing.databases import (
    DEFAULT_TEST_DATABASE_URL,
    TestDatabases,
    postgres_reachable,
)

_state: dict[str, str | None] = {}


def _postgres_url() -> str | None:
    """The PostgreSQL admin URL to create test databases from, or None to use SQLite."""
    if "url" not in _state:
        url = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
        if url.startswith("sqlite"):
            _state.update(url=None, why="TEST_DATABASE_URL asks for SQLite")
        else:
            why = asyncio.run(postgres_reachable(url))
            _state.update(url=None if why else url, why=why)
    return _state["url"]


def pytest_report_header(config: pytest.Config) -> str:
    url = _postgres_url()
    if url:
        return f"databases: PostgreSQL at {url.rsplit('@', 1)[-1]} (a fresh database per use)"
    return f"databases: SQLite files (PostgreSQL not used: {_state['why']})"


@pytest.fixture(scope="session")
def test_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    databases = TestDatabases(_postgres_url(), tmp_path_factory.mktemp("sqlite"))
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session", params=["postgresql", "sqlite"])
def backend(request: pytest.FixtureRequest, test_databases: TestDatabases) -> str:
    """Run the test on PostgreSQL and on SQLite (the embedded default); skip PostgreSQL if away."""
    if request.param == "postgresql" and test_databases.backend != "postgresql":
        pytest.skip("PostgreSQL is not reachable")
    return str(request.param)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """A Tansu broker for the whole session on a free loopback port (or TEST_KAFKA_BOOTSTRAP_SERVERS)."""
    existing = os.environ.get("TEST_KAFKA_BOOTSTRAP_SERVERS")
    if existing:
        yield existing
        return
    port = free_port()
    process = start_broker(port)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        stop_broker(process)


TEST_KAFKA_SETTINGS = {
    # Short group timeouts: Tansu forms a group in about rebalance_timeout, so tests stay quick.
    "kafka_session_timeout_ms": 3000,
    "kafka_heartbeat_interval_ms": 200,
    "kafka_rebalance_timeout_ms": 1000,
    "kafka_partitions": 3,
    "consumer_backoff_seconds": 0.05,
    "relay_poll_seconds": 0.02,
    "log_json": False,
    "environment": "test",
}


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")
