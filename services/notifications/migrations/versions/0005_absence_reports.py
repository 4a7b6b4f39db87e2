"""families' absence reports, as far as suppressing first-day contacts needs them

Revision ID: 0005_absence_reports
Revises: 0004_school_trust
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_absence_reports"
down_revision = "0004_school_trust"


def upgrade() -> None:
    op.create_table(
        "absence_reports",
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("school_urn", sa.String(length=6), nullable=False),
        sa.Column("upn", sa.String(length=13), nullable=False),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.Column("first_session", sa.String(length=2), nullable=False),
        sa.Column("last_date", sa.Date(), nullable=False),
        sa.Column("last_session", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_absence_reports")),
    )
    op.create_index("ix_absence_reports_pupil", "absence_reports", ["school_urn", "upn"])


def downgrade() -> None:
    op.drop_table("absence_reports")
