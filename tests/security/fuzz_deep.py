"""A deep fuzz of the four services: schemathesis on each OpenAPI document, with seeded ids and a token per
role (fuzz_world.py), then a table of requests and server errors per service and each 5xx's request.

    .venv/bin/python tests/security/fuzz_deep.py [--examples N] [--random] [--service registers ...]

`--examples` is per operation and generation mode (valid and invalid requests), 100 by default. Runs are
derandomised (the same requests each time) unless `--random`. Uses PostgreSQL at TEST_DATABASE_URL (the test
default) when reachable, else SQLite files; its databases are dropped at the end. Exits 1 on any 5xx.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fuzz_world import SERVICES, Outcome, fuzz, served_world

from attendance_common.testing.databases import (
    DEFAULT_TEST_DATABASE_URL,
    TestDatabases,
    postgres_reachable,
)


def _table(outcomes: list[Outcome]) -> str:
    rows = [("service", "operations", "requests", "past 4xx", "5xx", "non-problem 4xx")]
    for o in outcomes:
        rows.append(
            (o.service, str(o.operations), str(o.requests), str(o.deep), str(len(o.server_errors)),
             str(len(o.not_problems)))
        )  # fmt: skip
    total = [sum(int(row[i]) for row in rows[1:]) for i in range(1, 6)]
    rows.append(("total", *(str(n) for n in total)))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--examples", type=int, default=100, help="per operation and mode (default 100)")
    parser.add_argument("--random", action="store_true", help="new requests each run, not the same ones")
    parser.add_argument("--samples", action="store_true", help="a request for each common error")
    parser.add_argument("--service", action="append", choices=SERVICES, help="only these (repeatable)")
    args = parser.parse_args()

    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    why = asyncio.run(postgres_reachable(url)) if not url.startswith("sqlite") else "SQLite asked for"
    print(f"databases: {'PostgreSQL' if not why else f'SQLite ({why})'}", flush=True)
    outcomes = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as sqlite_dir:
        databases = TestDatabases(None if why else url, Path(sqlite_dir))
        try:
            with served_world(databases, tuple(args.service or SERVICES)) as world:
                for target in world:
                    begun = time.monotonic()
                    outcome = fuzz(target, args.examples, derandomize=not args.random)
                    outcomes.append(outcome)
                    print(
                        f"{target.service}: {outcome.requests} requests in {time.monotonic() - begun:.0f} s, "
                        f"statuses {dict(sorted(outcome.by_status.items()))}",
                        flush=True,
                    )
        finally:
            databases.drop_all()
    took = time.monotonic() - started
    print(f"\n{_table(outcomes)}\n({took:.0f} s, {args.examples} examples per operation and mode)")
    for outcome in outcomes:
        common = ", ".join(f"{code} ×{n}" for code, n in outcome.by_code.most_common(8))
        print(f"{outcome.service} errors most answered: {common}")
        if args.samples:
            for code, _ in outcome.by_code.most_common(8):
                print(f"  e.g. {outcome.samples[code].line()}")
    for outcome in outcomes:
        for failure in outcome.server_errors:
            print(f"5xx {outcome.service}: {failure.line()}")
        for failure in outcome.not_problems[:20]:
            print(f"not a problem {outcome.service}: {failure.line()}")
    return 1 if any(o.server_errors for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
