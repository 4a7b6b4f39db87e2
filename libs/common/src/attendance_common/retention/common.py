"""The tables every service has: audit log, outbox, inbox and idempotency keys (docs/retention.md)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement

from attendance_common.audit.models import RETENTION as AUDIT_RETENTION
from attendance_common.audit.models import AuditEntry
from attendance_common.idempotency import KEEP_FOR as IDEMPOTENCY_KEEP_FOR
from attendance_common.idempotency import IdempotencyRow
from attendance_common.messaging.inbox import InboxRow
from attendance_common.messaging.outbox import OutboxRow

from .rules import Rule

# Sent events stay a week for replays by hand; unsent ones are never purged.
OUTBOX_KEEP_SENT = dt.timedelta(days=7)
# Longer than any redelivery: the topics keep a week, and a replay by hand is of days, not months.
INBOX_KEEP = dt.timedelta(days=30)


def _audit_due(now: dt.datetime) -> ColumnElement[bool]:
    return AuditEntry.at < now - AUDIT_RETENTION


def _idempotency_due(now: dt.datetime) -> ColumnElement[bool]:
    return IdempotencyRow.created_at < now - IDEMPOTENCY_KEEP_FOR


def _outbox_due(now: dt.datetime) -> ColumnElement[bool]:
    return OutboxRow.sent_at < now - OUTBOX_KEEP_SENT  # NULL (unsent) is never less than anything


def _inbox_due(now: dt.datetime) -> ColumnElement[bool]:
    return InboxRow.processed_at < now - INBOX_KEEP


COMMON_RULES: tuple[Rule, ...] = (
    Rule(IdempotencyRow, "24 hours after the first answer", _idempotency_due),
    Rule(OutboxRow, "7 days after it was sent; unsent events stay", _outbox_due),
    Rule(InboxRow, "30 days after the event was applied", _inbox_due),
    Rule(AuditEntry, "6 years (6 x 366 days) after the request", _audit_due),
)
