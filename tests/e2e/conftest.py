"""One real stack (broker, proxy, four services' APIs and workers) shared by the end-to-end tests;
each test uses its own school and LA, so their counts never mix."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the e2e_* helpers (uniquely named)

from e2e_receivers import Mailbox, Webhooks, smtp_env, start_smtp
from e2e_stack import Stack, logs_dir

from attendance_common.testing.databases import TestDatabases


@pytest.fixture(scope="session")
def smtp() -> Iterator[Mailbox]:
    controller, mailbox = start_smtp()
    yield mailbox
    controller.stop()


@pytest.fixture(scope="session")
def webhooks() -> Iterator[Webhooks]:
    receiver = Webhooks().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def stack(
    test_databases: TestDatabases, smtp: Mailbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    if test_databases.backend != "postgresql":
        pytest.skip("the end-to-end tests need PostgreSQL")
    running = Stack(test_databases, logs_dir(tmp_path_factory, "e2e-logs"), extra_env=smtp_env(smtp))
    try:
        yield running.start()
    finally:
        running.stop()
