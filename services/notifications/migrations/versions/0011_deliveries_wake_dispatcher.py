"""new deliveries wake the delivery loop: a NOTIFY on each inserting statement (PostgreSQL; SQLite polls)

Revision ID: 0011_deliveries_wake_dispatcher
Revises: 0010_marks_without_foreign_key
"""

from alembic import op

revision = "0011_deliveries_wake_dispatcher"
down_revision = "0010_marks_without_foreign_key"

FUNCTION = """
CREATE OR REPLACE FUNCTION deliveries_wake_dispatcher() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('deliveries', '');
    RETURN NULL;
END $$
"""
TRIGGER = """
CREATE TRIGGER deliveries_wake_dispatcher AFTER INSERT ON deliveries
FOR EACH STATEMENT EXECUTE FUNCTION deliveries_wake_dispatcher()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)
        op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS deliveries_wake_dispatcher ON deliveries")
        op.execute("DROP FUNCTION IF EXISTS deliveries_wake_dispatcher()")
