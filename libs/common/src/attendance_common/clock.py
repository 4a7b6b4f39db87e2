"""School time: "today" and "future" are judged in Europe/London (api.md conventions)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def now_utc() -> datetime:
    return datetime.now(UTC)


def today_in_london(now: datetime | None = None) -> date:
    """The school-local date now: 00:30 on 1 June BST is already 1 June, though UTC says 31 May."""
    return (now or now_utc()).astimezone(LONDON).date()


# What scheduled work asks for the time: `now_utc` in production, a test's own in tests.
Clock = Callable[[], datetime]
