"""families' plans as the parent app shows them, from the plan events (api.md Part 2)

Revision ID: 0006_family_plans
Revises: 0005_absence_reports
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_family_plans"
down_revision = "0005_absence_reports"


def upgrade() -> None:
    op.create_table(
        "family_plans",
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("lead_name", sa.String(length=200), nullable=False),
        sa.Column("lead_role", sa.String(length=100), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_family_plans")),
    )
    op.create_table(
        "family_plan_pupils",
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("school_urn", sa.String(length=6), nullable=False),
        sa.Column("upn", sa.String(length=13), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["family_plans.plan_id"], name=op.f("fk_family_plan_pupils_plan_id_family_plans")
        ),
        sa.PrimaryKeyConstraint("plan_id", "school_urn", "upn", name=op.f("pk_family_plan_pupils")),
    )
    op.create_index("ix_family_plan_pupils_pupil", "family_plan_pupils", ["school_urn", "upn"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_family_plan_pupils_pupil", table_name="family_plan_pupils")
    op.drop_table("family_plan_pupils")
    op.drop_table("family_plans")
