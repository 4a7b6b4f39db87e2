"""room in the counter tables' pages, so each mark's counter update stays on its page (HOT)

Every register updates a year-count row per pupil (and a week-count row per unauthorised mark).
With full pages each update writes the new row version to another page and a new index entry;
with room left, PostgreSQL updates in place. PostgreSQL only (SQLite has no fillfactor).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"

TABLES = ("year_counts", "week_counts")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
