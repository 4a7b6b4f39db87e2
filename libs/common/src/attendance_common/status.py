"""`make status`: what the event pipeline of a running `make run` is doing, per service.

`make run` writes where each API and worker serves to `<data dir>/stack.json`; this reads each
API's /readyz and each worker's Prometheus metrics: consumer lag (records not yet consumed, over
every partition), outbox backlog (events not yet published), dead letters (since the worker
started) and the last event a consumer applied. Exit code 1 when something does not answer.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from attendance_common.settings import StackSettings
from attendance_common.stack import read_stack_file

TIMEOUT_SECONDS = 3
# The stack is local: a proxy from the environment (http_proxy) must not stand in between.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
COLUMNS = ("service", "api", "consumer lag", "outbox backlog", "dead letters", "last event applied")


@dataclass(frozen=True)
class Pipeline:
    """One worker's figures; None where the worker has not measured it (or has no consumer)."""

    lag: int | None
    outbox_backlog: int | None
    dead_letters: int
    last_applied: tuple[str, float] | None  # event type, Unix time


def scrape(url: str) -> list[Sample]:
    """Every sample a Prometheus endpoint serves."""
    with _OPENER.open(url, timeout=TIMEOUT_SECONDS) as response:
        text = response.read().decode()
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def pipeline_of(samples: Sequence[Sample]) -> Pipeline:
    def total(name: str) -> int | None:
        values = [sample.value for sample in samples if sample.name == name]
        return int(sum(values)) if values else None

    applied = [s for s in samples if s.name == "attendance_last_event_applied_timestamp_seconds"]
    last = max(applied, key=lambda sample: sample.value, default=None)
    return Pipeline(
        lag=total("attendance_consumer_lag"),
        outbox_backlog=total("attendance_outbox_backlog"),
        dead_letters=total("attendance_dead_lettered_total") or 0,
        last_applied=None if last is None else (last.labels["type"], last.value),
    )


def api_state(base_url: str) -> str:
    try:
        with _OPENER.open(f"{base_url}/readyz", timeout=TIMEOUT_SECONDS):
            return "ready"
    except urllib.error.HTTPError:
        return "not ready"  # answers, but its database or the broker does not
    except OSError:
        return "down"


def describe_last(last: tuple[str, float] | None, now: datetime) -> str:
    if last is None:
        return "-"
    event_type, at = last
    when = datetime.fromtimestamp(at, UTC)
    ago = max(0, int((now - when).total_seconds()))
    return f"{event_type} at {when:%H:%M:%S} UTC ({ago} s ago)"


def row(name: str, urls: dict[str, str], now: datetime) -> tuple[list[str], bool]:
    """The service's line of the table, and whether everything in it answered."""
    api = api_state(urls["api"])
    try:
        figures = pipeline_of(scrape(urls["worker_metrics"]))
    except OSError as error:
        reason = getattr(error, "reason", error)
        return [name, api, f"worker metrics unreachable at {urls['worker_metrics']}: {reason}"], False
    shown = [
        "-" if figures.lag is None else str(figures.lag),
        "-" if figures.outbox_backlog is None else str(figures.outbox_backlog),
        str(figures.dead_letters),
        describe_last(figures.last_applied, now),
    ]
    return [name, api, *shown], api == "ready"


def render(rows: Sequence[Sequence[str]]) -> str:
    """A plain table; a row shorter than the header (an unreachable worker) runs on in its last cell."""
    full = [r for r in (COLUMNS, *rows) if len(r) == len(COLUMNS)]
    widths = [max(len(r[i]) for r in full) for i in range(len(COLUMNS) - 1)]
    lines = []
    for cells in (COLUMNS, *rows):
        padded = [cell.ljust(widths[i]) for i, cell in enumerate(cells[:-1])]
        lines.append("  ".join([*padded, cells[-1]]).rstrip())
    return "\n".join(lines)


def main() -> int:
    settings = StackSettings()
    stack = read_stack_file(settings.stack_file)
    if stack is None:
        print(
            f"status: no running `make run` found ({settings.stack_file} is written by it; "
            "set ATTENDANCE_DATA_DIR if it runs with another data folder)",
            file=sys.stderr,
        )
        return 1
    now = datetime.now(UTC)
    rows, healthy = [], True
    for name, urls in stack["services"].items():
        cells, answered = row(name, urls, now)
        rows.append(cells)
        healthy = healthy and answered
    print(render(rows))
    print("consumer lag: records not yet consumed; dead letters: since the worker started; - : none yet")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
