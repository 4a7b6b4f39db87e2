"""overdue plan-review reminders: one claim row per plan and review date

Revision ID: 0006_plan_review_reminders
Revises: 0005_support_meetings
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_plan_review_reminders"
down_revision = "0005_support_meetings"


def upgrade() -> None:
    op.create_table(
        "plan_review_reminders",
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("action_id", sa.String(length=36), nullable=False),
        sa.Column("reminded_on", sa.Date(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_review_reminders_plan_id_plans")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_plan_review_reminders_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("plan_id", "review_on", name=op.f("pk_plan_review_reminders")),
    )
    op.create_index(
        op.f("ix_plan_review_reminders_case_id"), "plan_review_reminders", ["case_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_plan_review_reminders_case_id"), table_name="plan_review_reminders")
    op.drop_table("plan_review_reminders")
