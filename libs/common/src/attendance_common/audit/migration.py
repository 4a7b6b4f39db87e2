"""The audit table in each service's migrations (frozen like any migration), with its append-only triggers."""

from __future__ import annotations

from alembic import op
from sqlalchemy import BigInteger, Column, DateTime, Integer, PrimaryKeyConstraint, String

_PG_FUNCTION = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' OR OLD.at > now() - interval '2196 days' THEN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql
"""
_PG_TRIGGER = """
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
"""
_SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_log_no_early_delete BEFORE DELETE ON audit_log
    WHEN OLD.at > datetime('now', '-2196 days')
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END""",
)


def create_audit_table_v1() -> None:
    op.create_table(
        "audit_log",
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), autoincrement=True, nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("sub", String(200), nullable=False),
        Column("role", String(20), nullable=False),
        Column("name", String(200)),
        Column("action", String(10), nullable=False),
        Column("method", String(10), nullable=False),
        Column("resource", String(300), nullable=False),
        Column("path", String(500), nullable=False),
        Column("school_urn", String(20)),
        Column("upn", String(20)),
        Column("status", Integer(), nullable=False),
        Column("client_ip", String(64)),
        Column("forwarded_for", String(500)),
        PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_upn_id", "audit_log", ["upn", "id"])
    op.create_index("ix_audit_log_sub_id", "audit_log", ["sub", "id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)


def drop_audit_table_v1() -> None:
    # Dropping the table drops its triggers; the PostgreSQL function goes separately.
    op.drop_table("audit_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_log_append_only()")
