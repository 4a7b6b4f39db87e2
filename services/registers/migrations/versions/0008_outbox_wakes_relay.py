"""the outbox wakes the relay: a NOTIFY on each inserting statement (PostgreSQL; SQLite polls)

Revision ID: 0008_outbox_wakes_relay
Revises: 0007_school_day_codes
"""

from attendance_common.messaging.wake import create_wake_trigger_v1, drop_wake_trigger_v1

revision = "0008_outbox_wakes_relay"
down_revision = "0007_school_day_codes"


def upgrade() -> None:
    create_wake_trigger_v1()


def downgrade() -> None:
    drop_wake_trigger_v1()
