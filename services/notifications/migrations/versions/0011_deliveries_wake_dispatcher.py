"""new deliveries wake the delivery loop: a NOTIFY on each inserting statement (PostgreSQL; SQLite polls)

Revision ID: 0011_deliveries_wake_dispatcher
Revises: 0010_marks_without_foreign_key
"""

from attendance_common.messaging.wake import drop_notify_on_insert_v1, notify_on_insert_v1

revision = "0011_deliveries_wake_dispatcher"
down_revision = "0010_marks_without_foreign_key"


def upgrade() -> None:
    notify_on_insert_v1("deliveries", "deliveries", "deliveries_wake_dispatcher")


def downgrade() -> None:
    drop_notify_on_insert_v1("deliveries", "deliveries_wake_dispatcher")
