"""plans on cases and their reviews (api.md Part 2 "Schools and the LA plan together")

Revision ID: 0004_plans
Revises: 0003_schools_projection
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_plans"
down_revision = "0003_schools_projection"


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("lead", sa.JSON(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("agreed_with_family", sa.Boolean(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("end_note", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_plans_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    op.create_index("ix_plans_case_status", "plans", ["case_id", "status"], unique=False)
    op.create_table(
        "plan_reviews",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("progress", sa.String(length=20), nullable=False),
        sa.Column("next_review_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_plan_reviews_case_id_cases")),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_plan_reviews_plan_id_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_reviews")),
    )
    op.create_index(op.f("ix_plan_reviews_case_id"), "plan_reviews", ["case_id"], unique=False)
    op.create_index(op.f("ix_plan_reviews_plan_id"), "plan_reviews", ["plan_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_plan_reviews_plan_id"), table_name="plan_reviews")
    op.drop_index(op.f("ix_plan_reviews_case_id"), table_name="plan_reviews")
    op.drop_table("plan_reviews")
    op.drop_index("ix_plans_case_status", table_name="plans")
    op.drop_table("plans")
