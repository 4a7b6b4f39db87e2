"""`python -m attendance_common.retention SERVICE|all [--dry-run] [--batch-size N]`

Deletes what the service's retention schedule (docs/retention.md) says is due, table by table in
batches; `--dry-run` prints how many rows each table has due and deletes nothing. `all` runs every
service installed here (each image holds one; `make run`'s environment holds all four), each on the
database its settings name.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from attendance_common.clock import now_utc
from attendance_common.db import Database, run_blocking
from attendance_common.migrate import service_settings
from attendance_common.stack import SERVICES

from .common import COMMON_RULES
from .purge import count_due, purge
from .rules import Rule


def service_rules(service: str) -> tuple[Rule, ...]:
    """The service's own rules (`<service>.retention.RULES`), then the tables every service has."""
    module = importlib.import_module(f"{service}.retention")
    return (*module.RULES, *COMMON_RULES)


def installed(service: str) -> bool:
    try:
        importlib.import_module(f"{service}.retention")
    except ModuleNotFoundError:
        return False
    return True


async def run(service: str, *, dry_run: bool, batch_size: int) -> dict[str, int]:
    rules = service_rules(service)
    database = Database(service_settings(service).resolved_database_url)
    now = now_utc()
    try:
        if dry_run:
            return await count_due(database, rules, now)
        return await purge(database, rules, now, batch_size=batch_size)
    finally:
        await database.dispose()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m attendance_common.retention",
        description="Delete what a service's retention schedule says is due (docs/retention.md).",
    )
    parser.add_argument("service", choices=[*SERVICES, "all"])
    parser.add_argument("--dry-run", action="store_true", help="print how many rows are due; delete nothing")
    parser.add_argument("--batch-size", type=int, default=1000, help="rows per transaction (default 1000)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.batch_size <= 0:
        parser.error("--batch-size must be positive")
    if args.service != "all" and not installed(args.service):
        parser.error(f"{args.service} is not installed here")
    services = [s for s in SERVICES if installed(s)] if args.service == "all" else [args.service]
    verb = "due" if args.dry_run else "deleted"
    for service in services:
        counts = run_blocking(run(service, dry_run=args.dry_run, batch_size=args.batch_size))
        print(f"{service}: {sum(counts.values())} rows {verb}{' (dry run)' if args.dry_run else ''}")
        for rule in service_rules(service):
            print(f"  {rule.name:<20} {counts[rule.name]:>10} {verb}   kept {rule.keep}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
