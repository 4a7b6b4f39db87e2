"""families' absence reports and leave requests

Revision ID: 0006_absence_reports_leave
Revises: 0005_school_days
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_absence_reports_leave"
down_revision = "0005_school_days"

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _people(prefix: str, *, required: bool) -> list[sa.Column]:
    return [
        sa.Column(f"{prefix}_sub", sa.String(length=200), nullable=not required),
        sa.Column(f"{prefix}_role", sa.String(length=20), nullable=not required),
    ]


def _common(table: str) -> list[sa.Column | sa.Constraint]:
    """The columns and keys both tables share: who submitted, decided and withdrew, and when."""
    return [
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        *_people("submitted_by", required=True),
        sa.Column("submitted_by_name", sa.String(length=200), nullable=True),
        sa.Column("decision_note", sa.String(length=1000), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        *_people("decided_by", required=False),
        sa.Column("decided_by_name", sa.String(length=200), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        *_people("withdrawn_by", required=False),
        sa.Column("withdrawn_by_name", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f(f"fk_{table}_pupil_id_pupils")),
        sa.ForeignKeyConstraint(["school_urn"], ["schools.urn"], name=op.f(f"fk_{table}_school_urn_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _keys() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("school_urn", sa.String(length=6), nullable=False),
        sa.Column("pupil_id", _ID, nullable=False),
        sa.Column("upn", sa.String(length=13), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "absence_reports",
        *_keys(),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.Column("first_session", sa.String(length=2), nullable=False),
        sa.Column("last_date", sa.Date(), nullable=False),
        sa.Column("last_session", sa.String(length=2), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("expected_return", sa.Date(), nullable=True),
        *_common("absence_reports"),
    )
    op.create_index("ix_absence_reports_school", "absence_reports", ["school_urn", "submitted_at", "id"])
    op.create_index("ix_absence_reports_pupil", "absence_reports", ["pupil_id", "submitted_at", "id"])
    op.create_table(
        "leave_requests",
        *_keys(),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.Column("last_date", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("expected_code", sa.String(length=2), nullable=False),
        *_common("leave_requests"),
    )
    op.create_index("ix_leave_requests_school", "leave_requests", ["school_urn", "submitted_at", "id"])
    op.create_index("ix_leave_requests_pupil", "leave_requests", ["pupil_id", "submitted_at", "id"])
    op.create_index(
        "ix_leave_requests_granted",
        "leave_requests",
        ["school_urn", "last_date"],
        postgresql_where=sa.text("status = 'granted'"),
        sqlite_where=sa.text("status = 'granted'"),
    )


def downgrade() -> None:
    op.drop_table("leave_requests")
    op.drop_table("absence_reports")
