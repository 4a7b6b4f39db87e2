"""the outbox wakes the relay: a NOTIFY on each inserting statement (PostgreSQL; SQLite polls)

Revision ID: 0007_outbox_wakes_relay
Revises: 0006_recent_window
"""

from attendance_common.messaging.wake import create_wake_trigger_v1, drop_wake_trigger_v1

revision = "0007_outbox_wakes_relay"
down_revision = "0006_recent_window"


def upgrade() -> None:
    create_wake_trigger_v1()


def downgrade() -> None:
    drop_wake_trigger_v1()
