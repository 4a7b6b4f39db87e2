"""no foreign key on the marks projection: the worker writes its pupils first (as alerts does)

Revision ID: 0010_marks_without_foreign_key
Revises: 0009_outbox_wakes_relay
"""

from alembic import op

revision = "0010_marks_without_foreign_key"
down_revision = "0009_outbox_wakes_relay"


def upgrade() -> None:
    with op.batch_alter_table("marks") as batch_op:
        batch_op.drop_constraint("fk_marks_pupil_id_pupils", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("marks") as batch_op:
        batch_op.create_foreign_key("fk_marks_pupil_id_pupils", "pupils", ["pupil_id"], ["id"])
