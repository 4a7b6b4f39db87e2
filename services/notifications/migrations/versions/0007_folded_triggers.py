"""a catch-up's folded triggers name the trigger whose message speaks for them

Revision ID: 0007_folded_triggers
Revises: 0006_family_plans
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_folded_triggers"
down_revision = "0006_family_plans"


def upgrade() -> None:
    with op.batch_alter_table("triggers") as batch_op:
        batch_op.add_column(sa.Column("folded_into", sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f("ix_triggers_folded_into"), ["folded_into"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("triggers") as batch_op:
        batch_op.drop_index(batch_op.f("ix_triggers_folded_into"))
        batch_op.drop_column("folded_into")
