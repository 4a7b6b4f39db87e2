"""Benchmark: the attendance report (api.md "Reports for leaders, governors, trusts and LAs") of an LA
of 100 schools and 60,000 pupils over a school year, through the registers HTTP API.

Usage: python tests/bench/registers_reports.py [--schools 100] [--pupils 600] [--requests 40]
BENCH_SCALE=small: 10 schools. Needs PostgreSQL (TEST_DATABASE_URL). Prints a table, then one JSON
line; asserts nothing about speed.

The year is 190 school days of 2 sessions, every weekday from 1 September 2025 to 22 May 2026 (no
holidays), with codes from a fixed pattern (20% absence). What a report reads is loaded as the marks
would leave it: the monthly counters and the marks per school, date and code are summed in SQL from the
generated marks (23 million for the full LA) without storing them, and the marks themselves are stored
for 1-8 May 2026 only, the edge days of the year-to-date period measured (a `to` inside a month reads
its days from the marks).
Measured, p50 and p95 of `--requests` GETs each:
- la_report_year: scope la:380, 1 Sep-31 Jul (whole months: counters and day codes only);
- la_report_to_8_may: 1 Sep-8 May (the last days from the marks);
- la_report_html: the printable page of the year (the report, then the charts and the page);
- school_report_year: one school of the LA, the year.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path

import asyncpg
import httpx
from registers_ingest import ROOT, start_api
from report import print_figures

from attendance_common.auth import mint_token
from attendance_common.broker import free_port
from attendance_common.migrations import upgrade_database
from attendance_common.settings import DEVELOPMENT_JWT_SECRET
from attendance_common.testing.databases import DEFAULT_TEST_DATABASE_URL, TestDatabases

LA = "380"
# 30 codes a pupil cycles through, offset by pupil and day: 2 I, 1 each of N O M G (absent), 1 L, 23 present.
CODES = "ARRAY[" + ",".join(f"'{code}'" for code in ["/"] * 23 + ["I", "I", "N", "O", "M", "G", "L"]) + "]"
GENERATED_MARKS = f"""
  SELECT p.id AS pupil_id, p.school_urn, d.day, s.sn AS session,
         ({CODES})[1 + ((p.id * 31 + d.n * 7 + length(s.sn)) % 30)] AS code
  FROM pupils p, bench_days d, (VALUES ('AM'), ('PM')) s(sn)
"""
CATEGORY = """CASE WHEN code IN ('/', 'L') THEN 0 WHEN code IN ('I', 'M') THEN 2 ELSE 3 END"""


async def seed(pg: asyncpg.Connection, schools: int, pupils: int) -> dict[str, int]:
    """Schools, pupils, the year's counters and day codes, and the marks of 1-8 May 2026."""
    await pg.execute(
        """INSERT INTO schools (urn, name, la_code, phase, updated_at)
           SELECT (300000 + s)::text, 'School ' || s, $1, 'primary', now()
           FROM generate_series(0, $2 - 1) s""",
        LA,
        schools,
    )
    await pg.execute(
        """INSERT INTO pupils (school_urn, upn, given_name, family_name, year_group, start_date,
                               fsm_eligible, sen_status, has_social_worker, contacts, updated_at)
           SELECT (300000 + s)::text, 'A' || lpad((s * 10000 + p)::text, 12, '0'), 'Pupil', p::text,
                  (1 + p % 6)::text, date '2025-09-01', p % 4 = 0,
                  CASE WHEN p % 10 = 0 THEN 'K' WHEN p % 50 = 1 THEN 'E' ELSE 'N' END, p % 20 = 0, '[]', now()
           FROM generate_series(0, $1 - 1) s, generate_series(0, $2 - 1) p""",
        schools,
        pupils,
    )
    await pg.execute(
        """CREATE UNLOGGED TABLE bench_days AS
           SELECT d::date AS day, row_number() OVER (ORDER BY d) AS n
           FROM generate_series(date '2025-09-01', date '2026-07-31', interval '1 day') d
           WHERE extract(isodow FROM d) < 6 LIMIT 190"""
    )
    await pg.execute(
        f"""INSERT INTO mark_month_counts (pupil_id, month, present, approved_educational_activity,
                                           authorised_absence, unauthorised_absence)
            SELECT pupil_id, date_trunc('month', day)::date,
                   count(*) FILTER (WHERE {CATEGORY} = 0), 0,
                   count(*) FILTER (WHERE {CATEGORY} = 2), count(*) FILTER (WHERE {CATEGORY} = 3)
            FROM ({GENERATED_MARKS}) m GROUP BY 1, 2"""
    )
    await pg.execute(
        f"""INSERT INTO school_day_codes (school_urn, date, code, sessions)
            SELECT school_urn, day, code, count(*) FROM ({GENERATED_MARKS}) m GROUP BY 1, 2, 3"""
    )
    await pg.execute(
        "INSERT INTO school_days (school_urn, date, marks) "
        "SELECT school_urn, day, count(*) FROM (SELECT p.school_urn, d.day FROM pupils p, bench_days d) x "
        "GROUP BY 1, 2"
    )
    await pg.execute(
        f"""INSERT INTO marks (pupil_id, date, session, code, recorded_at, recorded_by_sub, recorded_by_role)
            SELECT pupil_id, day, session, code, now(), 'bench', 'mis' FROM ({GENERATED_MARKS}) m
            WHERE day BETWEEN date '2026-05-01' AND date '2026-05-08'"""
    )
    await pg.execute("ANALYZE")
    return {
        "pupils": await pg.fetchval("SELECT count(*) FROM pupils"),
        "year_marks": await pg.fetchval("SELECT sum(sessions) FROM school_day_codes"),
        "stored_marks": await pg.fetchval("SELECT count(*) FROM marks"),
        "month_count_rows": await pg.fetchval("SELECT count(*) FROM mark_month_counts"),
        "school_day_code_rows": await pg.fetchval("SELECT count(*) FROM school_day_codes"),
    }


async def wait_ready(base: str, seconds: float = 180) -> None:
    """Until the API answers: on a busy machine its start (imports, pool) takes a while."""
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the API never answered")


async def timings(base: str, requests: int) -> dict[str, float]:
    token = mint_token(secret=DEVELOPMENT_JWT_SECRET, sub="bench", role="admin", ttl_seconds=3600)
    year = "from=2025-09-01&to=2026-07-31"
    paths = {
        "la_report_year": f"/v1/reports/attendance?scope=la:{LA}&{year}",
        "la_report_to_8_may": f"/v1/reports/attendance?scope=la:{LA}&from=2025-09-01&to=2026-05-08",
        "la_report_html": f"/v1/reports/attendance.html?scope=la:{LA}&{year}",
        "school_report_year": f"/v1/reports/attendance?scope=school:300000&{year}",
    }
    figures: dict[str, float] = {}
    async with httpx.AsyncClient(
        base_url=base, timeout=120, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        for name, path in paths.items():
            answer = await client.get(path)  # warm-up: connections, plans, caches
            assert answer.status_code == 200, answer.text
            elapsed = []
            for _ in range(requests):
                started = time.perf_counter()
                answer = await client.get(path)
                elapsed.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.text
            figures[f"{name}_p50_ms"] = round(statistics.median(elapsed), 1)
            figures[f"{name}_p95_ms"] = round(statistics.quantiles(elapsed, n=20)[-1], 1)
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    small = os.environ.get("BENCH_SCALE") == "small"
    parser.add_argument("--schools", type=int, default=10 if small else 100)
    parser.add_argument("--pupils", type=int, default=600, help="pupils per school")
    parser.add_argument("--requests", type=int, default=40, help="GETs measured per report")
    args = parser.parse_args()

    databases = TestDatabases(os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL), Path("/tmp"))
    url = databases.create("bench_reports", backend="postgresql")
    try:
        upgrade_database(ROOT / "services/registers/migrations", url)
        pg = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        started = time.perf_counter()
        sizes = await seed(pg, args.schools, args.pupils)
        seed_seconds = round(time.perf_counter() - started, 1)
        print(f"seeded in {seed_seconds} s: {sizes}", flush=True)
        await pg.close()
        port = free_port()
        api = start_api(url, port, 1)
        try:
            await wait_ready(f"http://127.0.0.1:{port}")
            measured = await timings(f"http://127.0.0.1:{port}", args.requests)
        finally:
            api.terminate()
            api.wait()
    finally:
        databases.drop_all()
    print_figures({"schools": args.schools, **sizes, "seed_s": seed_seconds, **measured})


if __name__ == "__main__":
    asyncio.run(main())
