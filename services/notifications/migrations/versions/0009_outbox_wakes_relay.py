"""the outbox wakes the relay: a NOTIFY on each inserting statement (PostgreSQL; SQLite polls)

Revision ID: 0009_outbox_wakes_relay
Revises: 0008_attendance_updates
"""

from attendance_common.messaging.wake import create_wake_trigger_v1, drop_wake_trigger_v1

revision = "0009_outbox_wakes_relay"
down_revision = "0008_attendance_updates"


def upgrade() -> None:
    create_wake_trigger_v1()


def downgrade() -> None:
    drop_wake_trigger_v1()
