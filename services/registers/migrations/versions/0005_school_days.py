"""school_days: the dates each school held sessions, counted from the marks (domain.md 4)

Filled here from the marks already stored; kept with each batch of marks from then on.

Revision ID: 0005_school_days
Revises: 0004_school_lead_and_trust
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_school_days"
down_revision = "0004_school_lead_and_trust"


def upgrade() -> None:
    op.create_table(
        "school_days",
        sa.Column("school_urn", sa.String(length=6), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("marks", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_urn"], ["schools.urn"], name=op.f("fk_school_days_school_urn_schools")
        ),
        sa.PrimaryKeyConstraint("school_urn", "date", name=op.f("pk_school_days")),
    )
    op.execute(
        "INSERT INTO school_days (school_urn, date, marks) "
        "SELECT pupils.school_urn, marks.date, COUNT(*) FROM marks JOIN pupils ON pupils.id = marks.pupil_id "
        "WHERE marks.code <> '#' GROUP BY pupils.school_urn, marks.date"
    )


def downgrade() -> None:
    op.drop_table("school_days")
