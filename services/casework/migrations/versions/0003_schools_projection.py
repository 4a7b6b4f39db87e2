"""schools projection: each school's LA and academy trust, so a trust officer reaches its trust's
schools' cases (api.md Part 2)

Revision ID: 0003_schools_projection
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_schools_projection"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "schools",
        sa.Column("urn", sa.String(length=6), nullable=False),
        sa.Column("la_code", sa.String(length=3), nullable=True),
        sa.Column("trust_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("urn", name=op.f("pk_schools")),
    )
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schools_trust_id"), ["trust_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schools_trust_id"))
    op.drop_table("schools")
