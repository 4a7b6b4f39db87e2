"""targeting support meetings of an LA with a school (api.md Part 2)

Revision ID: 0005_support_meetings
Revises: 0004_plans
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_support_meetings"
down_revision = "0004_plans"


def upgrade() -> None:
    op.create_table(
        "support_meetings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("la_code", sa.String(length=3), nullable=False),
        sa.Column("school_urn", sa.String(length=6), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("notes", sa.String(length=4000), nullable=True),
        sa.Column("agreed", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_meetings")),
    )
    op.create_index(
        "ix_support_meetings_la_school",
        "support_meetings",
        ["la_code", "school_urn", "recorded_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_support_meetings_la_school", table_name="support_meetings")
    op.drop_table("support_meetings")
