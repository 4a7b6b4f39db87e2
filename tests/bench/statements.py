"""Where PostgreSQL's time goes, per statement: pg_stat_statements on a benchmark's private server.

`SETTINGS` loads the extension when the server starts; `reset` clears the counts before a phase and
`top` reads, for each service's database, the statements that took the most time during it, as
microseconds and calls per mark. Execution time is the server's wall clock inside each statement
(waits included), so the figures say which statements to look at, beside cpu.py's CPU per database.
"""

from __future__ import annotations

import asyncpg

SETTINGS = {"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.max": "5000"}
TOP = """
SELECT d.datname AS database, s.query, s.calls, s.total_exec_time, s.rows
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = ANY($1::text[])
ORDER BY s.total_exec_time DESC
"""


async def _connect(admin_url: str) -> asyncpg.Connection:
    connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    return connection


async def reset(admin_url: str) -> None:
    connection = await _connect(admin_url)
    try:
        await connection.execute("SELECT pg_stat_statements_reset()")
    finally:
        await connection.close()


async def top(admin_url: str, databases: dict[str, str], marks: int, most: int = 6) -> dict[str, list[str]]:
    """Each service's `most` costliest statements since `reset`: "us/mark calls/mark rows/call query"."""
    connection = await _connect(admin_url)
    try:
        rows = await connection.fetch(TOP, list(databases.values()))
    finally:
        await connection.close()
    service_of = {database: service for service, database in databases.items()}
    found: dict[str, list[str]] = {service: [] for service in databases}
    for row in rows:
        lines = found[service_of[row["database"]]]
        if len(lines) < most:
            query = " ".join(row["query"].split())[:110]
            lines.append(
                f"{row['total_exec_time'] * 1000 / max(1, marks):7.1f} us"
                f" {row['calls'] / max(1, marks):7.4f} calls"
                f" {row['rows'] / max(1, row['calls']):8.1f} rows  {query}"
            )
    return found
