"""no foreign keys on the per-mark tables (marks, year and week counts)

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"

TABLES = ("marks", "year_counts", "week_counts")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_pupil_id_pupils", type_="foreignkey")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_foreign_key(f"fk_{table}_pupil_id_pupils", "pupils", ["pupil_id"], ["id"])
