"""Instrument readings: "latest" is the last taken, so index by (instrument, read_at, id)

Revision ID: i19_reading_taken_order
Revises: fbb2f7b9807a
Create Date: 2026-12-02 17:30:00
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "i19_reading_taken_order"
down_revision = "fbb2f7b9807a"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("instrument_reading", schema=None) as batch_op:
        batch_op.drop_index("ix_instrument_reading_latest")
        batch_op.create_index("ix_instrument_reading_taken", ["instrument_id", "read_at", "id"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("instrument_reading", schema=None) as batch_op:
        batch_op.drop_index("ix_instrument_reading_taken")
        batch_op.create_index("ix_instrument_reading_latest", ["instrument_id", "id"],
                              unique=False)
