"""receipt: the sampling form's fields as recorded (header of the report per task type)

Revision ID: i14p_receipt_fields
Revises: i15_security
Create Date: 2026-12-02 17:40:00

Plain nullable columns on ``sample``: rows received before keep NULL (the report prints
only what was recorded), new receipts are checked per task type by samples.receipt.
"""
from alembic import op
import sqlalchemy as sa


revision = "i14p_receipt_fields"
down_revision = "i15_security"
branch_labels = None
depends_on = None

COLUMNS = (
    ("sampling_form_no", sa.String(length=60)),
    ("task_source", sa.String(length=200)),
    ("customer_name", sa.String(length=160)),
    ("customer_address", sa.String(length=255)),
    ("sampling_base", sa.String(length=60)),
    ("producer_address", sa.String(length=255)),
    ("specification", sa.String(length=80)),
    ("condition_description", sa.String(length=255)),
)


def upgrade():
    with op.batch_alter_table("sample") as batch:
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade():
    with op.batch_alter_table("sample") as batch:
        for name, _type in reversed(COLUMNS):
            batch.drop_column(name)
