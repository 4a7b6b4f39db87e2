"""audit log of reads and changes of pupils' personal data (append-only, kept 6 years)

Revision ID: 0003
Revises: 0002
"""

from attendance_common.audit.migration import create_audit_table_v1, drop_audit_table_v1

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    create_audit_table_v1()


def downgrade() -> None:
    drop_audit_table_v1()
