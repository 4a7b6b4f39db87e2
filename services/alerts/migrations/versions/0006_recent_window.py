"""emerging absence's window: each school's last school days and each pupil's counts over them

The counts start empty; the worker builds a school's on its next marks (School.recent_days is null).

Revision ID: 0006_recent_window
Revises: 0005_school_trust
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_recent_window"
down_revision = "0005_school_trust"


def upgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recent_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("recent_days", sa.Integer(), nullable=True))
    op.create_table(
        "recent_counts",
        sa.Column("pupil_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("approved_educational_activity", sa.Integer(), nullable=False),
        sa.Column("authorised_absence", sa.Integer(), nullable=False),
        sa.Column("unauthorised_absence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pupil_id", name=op.f("pk_recent_counts")),
        postgresql_with={"fillfactor": 50},
    )


def downgrade() -> None:
    op.drop_table("recent_counts")
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_column("recent_days")
        batch_op.drop_column("recent_from")
