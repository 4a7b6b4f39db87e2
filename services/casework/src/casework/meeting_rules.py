"""The rules of targeting support meetings (api.md Part 2, domain.md 10), as pure functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from attendance_common.errors import Unprocessable

# Who the pack lists, most urgent first: every severely absent pupil, then the persistently absent.
PACK_ALERTS = ("severe_absence", "persistent_absence")
AGREED_ACTION_TYPE = "other"  # api.md: each agreed item becomes an action of type `other`


def in_pack(open_alerts: Iterable[str]) -> bool:
    return any(kind in PACK_ALERTS for kind in open_alerts)


def pack_rank(open_alerts: Iterable[str], upn: str) -> tuple[int, str]:
    """Severe first, then persistent; by UPN within each."""
    kinds = set(open_alerts)
    return (0 if "severe_absence" in kinds else 1, upn)


def check_school_in_la(school_urn: str, school_la: str | None, la_code: str) -> None:
    if school_la != la_code:
        raise Unprocessable(
            "school_not_in_la",
            f"school {school_urn} is not a school of LA {la_code} (its LA: {school_la or 'unknown'})",
        )


def check_held_on(held_on: dt.date, today: dt.date) -> None:
    if held_on > today:
        raise Unprocessable("future_date", f"held_on {held_on} is in the future: record a meeting once held")


def action_notes(action: str, owner: str, held_on: dt.date) -> str:
    """The case action's notes: what was agreed, who owns it, and where it was agreed."""
    return f"{action} (owner: {owner}; agreed at the targeting support meeting of {held_on.isoformat()})"
