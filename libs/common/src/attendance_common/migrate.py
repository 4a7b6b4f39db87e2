"""`python -m attendance_common.migrate SERVICE [REVISION]`: migrate a service's database.

A service package `<name>` keeps its settings in `<name>.settings.Settings` and its Alembic
scripts in `services/<name>/migrations` (beside `src/`), by convention.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from attendance_common.migrations import upgrade_database
from attendance_common.settings import ServiceSettings


def migrations_dir(service: str) -> Path:
    package = importlib.import_module(service)
    return Path(package.__file__ or "").resolve().parents[2] / "migrations"


def service_settings(service: str) -> ServiceSettings:
    settings_class = importlib.import_module(f"{service}.settings").Settings
    settings: ServiceSettings = settings_class()
    return settings


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    service, revision = args[0], (args[1] if len(args) > 1 else "head")
    upgrade_database(migrations_dir(service), service_settings(service).resolved_database_url, revision)
    print(f"{service}: database at {revision}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
