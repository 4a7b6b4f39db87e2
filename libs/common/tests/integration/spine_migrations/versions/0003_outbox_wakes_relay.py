"""the outbox wakes the relay, as in every service

Revision ID: 0003
Revises: 0002
"""

from attendance_common.messaging.wake import create_wake_trigger_v1, drop_wake_trigger_v1

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    create_wake_trigger_v1()


def downgrade() -> None:
    drop_wake_trigger_v1()
