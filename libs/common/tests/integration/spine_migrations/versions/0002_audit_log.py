"""audit log: every service has one, and an answer that cannot be recorded is withheld

Revision ID: 0002
Revises: 0001
"""

from attendance_common.audit.migration import create_audit_table_v1, drop_audit_table_v1

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    create_audit_table_v1()


def downgrade() -> None:
    drop_audit_table_v1()
