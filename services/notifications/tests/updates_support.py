"""Helpers for attendance-update tests: registers' marks as a school's MIS would send them, and the
school's staff asking for updates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from notifications_support import NOW, Feed, auth

from attendance_common.events.registers import AmendedMark, MarksAmended, MarksRecorded, RecordedMark

Slot = tuple[dt.date, str]


def slots(days: Iterable[dt.date]) -> list[Slot]:
    """Both sessions of each day, in order."""
    return [(day, session) for day in days for session in ("AM", "PM")]


def present(slot: Slot) -> str:
    return "/" if slot[1] == "AM" else "\\"


async def register(feed: Feed, upn: str, marked: Sequence[tuple[Slot, str]]) -> None:
    """Marks for sessions, as one `attendance.mark.recorded` batch."""
    marks = [
        RecordedMark(upn=upn, date=day, session=s, code=code, recorded_at=NOW) for (day, s), code in marked
    ]
    await feed.send(MarksRecorded(school_urn=feed.urn, la_code=feed.la_code, marks=marks))


async def amend(feed: Feed, upn: str, slot: Slot, previous: str, code: str) -> None:
    mark = AmendedMark(
        upn=upn,
        date=slot[0],
        session=slot[1],  # type: ignore[arg-type]
        code=code,
        recorded_at=NOW,
        previous_code=previous,
        reason="the office found the reason",
        changed_by_sub="mis",
        changed_by_role="mis",
    )
    await feed.send(MarksAmended(school_urn=feed.urn, la_code=feed.la_code, marks=[mark]))


def staff(feed: Feed) -> dict[str, str]:
    return auth("school_staff", schools=[feed.urn])


async def send_updates(client, feed: Feed, start: dt.date, end: dt.date, headers=None):
    body = {"from": start.isoformat(), "to": end.isoformat()}
    return await client.post(
        f"/v1/schools/{feed.urn}/attendance-updates", json=body, headers=headers or staff(feed)
    )


async def feed_of(client, email: str) -> list[dict]:
    answer = await client.get("/v1/parent/messages", headers=auth("parent", email=email))
    assert answer.status_code == 200, answer.text
    return answer.json()["messages"]


def updates_in(messages: list[dict], upn: str | None = None) -> list[dict]:
    return [m for m in messages if m["kind"] == "attendance_update" and (upn is None or m["upn"] == upn)]
