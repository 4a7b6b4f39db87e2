"""Helpers for the families' requests tests: dates from today, parents' tokens, the outbox."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from registers_factories import auth, new_upn, pupil_body
from sqlalchemy import select

from attendance_common.clock import today_in_london
from attendance_common.messaging.outbox import OutboxRow

PARENT_EMAIL = "parent@example.com"  # the fixture pupil's parent (registers_factories.pupil_body)


def day(offset: int) -> str:
    """Today in Europe/London plus `offset` days, ISO."""
    return (today_in_london() + dt.timedelta(days=offset)).isoformat()


def parent(sub: str = "parent-pat", email: str = PARENT_EMAIL) -> dict[str, str]:
    return auth("parent", sub=sub, email=email.upper(), name="Pat Parent")


def staff(school, sub: str = "staff-sam") -> dict[str, str]:
    return auth("school_staff", schools=[school.urn], sub=sub, name="Sam Office")


async def another_child(client, school, email: str = "someone.else@example.com") -> str:
    """A second pupil at the school, whose parent is someone else."""
    upn = new_upn()
    body = pupil_body(parent_email=email)
    answer = await client.put(f"/v1/schools/{school.urn}/pupils/{upn}", json=body, headers=school.mis)
    assert answer.status_code == 201, answer.text
    return upn


async def outbox(app, key: str, prefix: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(topic, type, data) of the events staged about `key` whose type starts with `prefix`."""
    async with app.state.database.transaction() as session:
        rows = await session.scalars(
            select(OutboxRow)
            .where(OutboxRow.key == key, OutboxRow.event_type.startswith(prefix))
            .order_by(OutboxRow.id)
        )
        return [(row.topic, row.event_type, json.loads(row.data)) for row in rows]
