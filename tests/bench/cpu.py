"""CPU time each part of the stack spent, read from /proc (Linux): where a benchmark's cores went.

A snapshot maps a part's name to CPU seconds (user + system) so far; the difference of two
snapshots over a phase, divided by the marks it moved, is that part's cost per mark. PostgreSQL is
every `postgres` process on the machine, split by the database a backend serves (its title names it)
with the rest (background processes, and what the postmaster has reaped of ended backends) as
`postgres_other`. Elsewhere (no /proc) snapshots are empty and nothing is shown.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PROC = Path("/proc")


def _stat(pid: int) -> tuple[str, int, list[int]] | None:
    """(command, parent pid, [utime, stime, cutime, cstime]) in ticks, or None once gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    command = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return command, int(fields[1]), [int(value) for value in fields[11:15]]


def _seconds(pid: int) -> float:
    stat = _stat(pid)
    return 0.0 if stat is None else sum(stat[2][:2]) / TICKS


def postgres_seconds(databases: dict[str, str]) -> dict[str, float]:
    """CPU seconds of PostgreSQL's backends serving each named database, and of the rest."""
    seconds = dict.fromkeys([*(f"postgres_{name}" for name in databases), "postgres_other"], 0.0)
    for entry in PROC.glob("[0-9]*"):
        stat = _stat(int(entry.name))
        if stat is None or stat[0] != "postgres":
            continue
        parent = _stat(stat[1])
        is_postmaster = parent is None or parent[0] != "postgres"
        try:
            title = set((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().split())
        except OSError:
            continue
        served = next((name for name, database in databases.items() if database in title), "other")
        seconds[f"postgres_{served}"] += sum(stat[2] if is_postmaster else stat[2][:2]) / TICKS
    return seconds


def snapshot(processes: dict[str, int], databases: dict[str, str]) -> dict[str, float]:
    """CPU seconds so far of each named process, of PostgreSQL per database, and of this benchmark."""
    if not PROC.is_dir():
        return {}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    seconds = {name: _seconds(pid) for name, pid in processes.items()}
    return seconds | postgres_seconds(databases) | {"bench": usage.ru_utime + usage.ru_stime}


def per_mark(before: dict[str, float], after: dict[str, float], marks: int) -> dict[str, float]:
    """Microseconds of CPU per mark of each part between two snapshots, and their total."""
    costs = {name: round((after[name] - before[name]) * 1e6 / max(1, marks), 1) for name in after}
    return costs | {"total": round(sum(costs.values()), 1)}
