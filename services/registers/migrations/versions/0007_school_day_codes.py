"""school_day_codes: per school, date and code, how many marks (the reports' series and reasons)

Filled here from the marks already stored; kept with each batch of marks from then on.

Revision ID: 0007_school_day_codes
Revises: 0006_absence_reports_leave
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_school_day_codes"
down_revision = "0006_absence_reports_leave"


def upgrade() -> None:
    op.create_table(
        "school_day_codes",
        sa.Column("school_urn", sa.String(length=6), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_urn"], ["schools.urn"], name=op.f("fk_school_day_codes_school_urn_schools")
        ),
        sa.PrimaryKeyConstraint("school_urn", "date", "code", name=op.f("pk_school_day_codes")),
    )
    op.execute(
        "INSERT INTO school_day_codes (school_urn, date, code, sessions) "
        "SELECT pupils.school_urn, marks.date, marks.code, COUNT(*) "
        "FROM marks JOIN pupils ON pupils.id = marks.pupil_id "
        "GROUP BY pupils.school_urn, marks.date, marks.code"
    )


def downgrade() -> None:
    op.drop_table("school_day_codes")
