"""A retention rule: which rows of a table are due for deletion at a given moment, and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Table

from attendance_common.clock import today_in_london

When = TypeVar("When", dt.date, dt.datetime)


@dataclass(frozen=True)
class Rule:
    """`due(now)` is a WHERE clause on `model`'s table picking the rows its period has passed; `keep`
    says, in the schedule's words, how long rows stay (the dry run prints it)."""

    model: type[Any]
    keep: str
    due: Callable[[dt.datetime], ColumnElement[bool]]

    @property
    def table(self) -> Table:
        return cast(Table, self.model.__table__)

    @property
    def name(self) -> str:
        return self.table.name


def years_before(when: When, years: int) -> When:
    """The same day `years` calendar years earlier (29 February becomes the 28th)."""
    try:
        return when.replace(year=when.year - years)
    except ValueError:
        return when.replace(year=when.year - years, day=28)


@dataclass(frozen=True)
class Cutoff:
    """`years` before `now`: as a moment (UTC timestamps older than it are due) and as a school-local
    date (session dates before it are due)."""

    moment: dt.datetime
    day: dt.date

    @classmethod
    def years(cls, now: dt.datetime, years: int) -> Cutoff:
        return cls(moment=years_before(now, years), day=years_before(today_in_london(now), years))

    @classmethod
    def days(cls, now: dt.datetime, days: float) -> Cutoff:
        moment = now - dt.timedelta(days=days)
        return cls(moment=moment, day=today_in_london(moment))
