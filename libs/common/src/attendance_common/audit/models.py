"""The audit log table: who read or changed a pupil's personal data, what, when and from where.

Append-only: nothing here updates a row, and on PostgreSQL and SQLite a trigger (migration.py) refuses
UPDATE, and DELETE of rows younger than the retention of 6 years; `purge_audit` removes older ones.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from attendance_common.db import BIG_ID, CommonBase, UtcDateTime

# Kept 6 years (the data-protection section of docs/events.md says why); the trigger enforces it.
RETENTION = dt.timedelta(days=6 * 366)


class AuditEntry(CommonBase):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_upn_id", "upn", "id"),
        Index("ix_audit_log_sub_id", "sub", "id"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    sub: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(10))  # read | change
    method: Mapped[str] = mapped_column(String(10))
    resource: Mapped[str] = mapped_column(String(300))  # the route, e.g. /v1/schools/{urn}/pupils/{upn}
    path: Mapped[str] = mapped_column(String(500))
    school_urn: Mapped[str | None] = mapped_column(String(20))
    upn: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[int] = mapped_column(Integer)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    forwarded_for: Mapped[str | None] = mapped_column(String(500))


async def purge_audit(session: AsyncSession, *, now: dt.datetime, retention: dt.timedelta = RETENTION) -> int:
    """Delete entries older than the retention period; returns how many went."""
    if retention < RETENTION:
        raise ValueError("the audit log is kept at least 6 years")
    result = await session.execute(delete(AuditEntry).where(AuditEntry.at < now - retention))
    return int(getattr(result, "rowcount", 0) or 0)
