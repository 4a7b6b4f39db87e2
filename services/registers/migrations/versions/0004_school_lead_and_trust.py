"""schools gain their attendance lead and their academy trust (api.md Part 2)

Revision ID: 0004_school_lead_and_trust
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_school_lead_and_trust"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trust_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("trust_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("attendance_lead_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("attendance_lead_email", sa.String(length=320), nullable=True))
        batch_op.create_index(batch_op.f("ix_schools_trust_id"), ["trust_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schools_trust_id"))
        batch_op.drop_column("attendance_lead_email")
        batch_op.drop_column("attendance_lead_name")
        batch_op.drop_column("trust_name")
        batch_op.drop_column("trust_id")
