"""attendance updates: runs claimed per school and period, each pupil's latest update, the weekly
schedule, parents' preferences, and the figures a feed message carries (`messages.data`)

Revision ID: 0008_attendance_updates
Revises: 0007_folded_triggers
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_attendance_updates"
down_revision = "0007_folded_triggers"


def upgrade() -> None:
    op.add_column("messages", sa.Column("data", sa.JSON(), nullable=True))
    op.create_table(
        "update_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("school_urn", sa.String(length=6), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("pupils", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_update_runs")),
    )
    op.create_index(
        "uq_update_runs_period", "update_runs", ["school_urn", "period_from", "period_to"], unique=True
    )
    op.create_table(
        "pupil_updates",
        sa.Column("school_urn", sa.String(length=6), nullable=False),
        sa.Column("upn", sa.String(length=13), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("year_attended", sa.Integer(), nullable=False),
        sa.Column("year_possible", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_urn", "upn", name=op.f("pk_pupil_updates")),
    )
    op.create_index(op.f("ix_pupil_updates_sent_at"), "pupil_updates", ["sent_at"])
    op.create_table(
        "update_schedules",
        sa.Column("school_urn", sa.String(length=6), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("weekday", sa.String(length=10), nullable=False),
        sa.Column("time", sa.Time(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("school_urn", name=op.f("pk_update_schedules")),
    )
    op.create_table(
        "parent_preferences",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("by_email", sa.Boolean(), nullable=False),
        sa.Column("by_sms", sa.Boolean(), nullable=False),
        sa.Column("attendance_updates", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_parent_preferences")),
    )


def downgrade() -> None:
    op.drop_table("parent_preferences")
    op.drop_table("update_schedules")
    op.drop_table("pupil_updates")
    op.drop_table("update_runs")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("data")
