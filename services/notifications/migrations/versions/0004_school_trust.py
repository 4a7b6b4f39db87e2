"""schools keep their academy trust, so a trust officer reaches its trust's schools (api.md Part 2)

Revision ID: 0004_school_trust
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_school_trust"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trust_id", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_schools_trust_id"), ["trust_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schools_trust_id"))
        batch_op.drop_column("trust_id")
