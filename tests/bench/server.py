"""The PostgreSQL a benchmark runs on: a private server with a production server's memory, started
for the run (so nothing else on the machine shares it or its statistics), or the shared one.

`BENCH_POSTGRES` is what differs from PostgreSQL's defaults, which docker-compose.yml and the
Kubernetes manifests keep (set these there for a production-sized server); with `statements`, the
server also loads pg_stat_statements (statements.py reads it).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import statements

from attendance_common.testing.databases import DEFAULT_TEST_DATABASE_URL
from attendance_common.testing.postgres import PrivatePostgres, private_postgres

BENCH_POSTGRES = {"shared_buffers": "2GB", "max_wal_size": "4GB", "effective_cache_size": "8GB"}


@contextlib.contextmanager
def bench_postgres(*, shared: bool, with_statements: bool = False) -> Iterator[tuple[str, str, bool]]:
    """(admin URL, a line saying which server, whether pg_stat_statements is loaded) for the block."""
    if shared or not PrivatePostgres.available():
        yield os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL), "shared", False
        return
    settings = BENCH_POSTGRES | (statements.SETTINGS if with_statements else {})
    with private_postgres(settings) as server:
        described = "private " + ",".join(f"{k}={v}" for k, v in BENCH_POSTGRES.items())
        yield server.url, described, with_statements
