"""`make reset`: clear what `make run` stored (each service's SQLite database under the data folder)
so the next run starts empty; the environment (.venv/, .tools/) is left alone.

Only the files `make run` writes are removed, never the folder's other contents (the data folder
is the user's choice, ATTENDANCE_DATA_DIR). Refused while a `make run` is using that folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

from attendance_common.settings import StackSettings
from attendance_common.stack import SERVICES, read_stack_file

# SQLite keeps a database in its file and, while in use, beside it in a journal or WAL.
_SUFFIXES = ("", "-wal", "-shm", "-journal")


def stored_files(data_dir: Path) -> list[Path]:
    """The files of `make run`'s databases in `data_dir` that exist."""
    candidates = [data_dir / f"{service}.db{suffix}" for service in SERVICES for suffix in _SUFFIXES]
    return [path for path in candidates if path.exists()]


def reset(data_dir: Path) -> list[Path]:
    """Remove the stored databases; the paths removed. RuntimeError while a stack runs on them."""
    if read_stack_file(data_dir / "stack.json") is not None:
        raise RuntimeError(f"`make run` is using {data_dir}/: stop it (Ctrl-C) first")
    removed = stored_files(data_dir)
    for path in removed:
        path.unlink()
    return removed


def main() -> int:
    data_dir = StackSettings().data_dir
    try:
        removed = reset(data_dir)
    except RuntimeError as error:
        print(f"reset: {error}", file=sys.stderr)
        return 1
    if removed:
        print(f"reset: removed {len(removed)} files from {data_dir}/; the next `make run` starts empty")
    else:
        print(f"reset: nothing stored in {data_dir}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
