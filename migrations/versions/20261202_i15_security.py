"""Security hardening: server-side sessions, per-address login throttle, audit chain anchor,
station record uids unique per station.

Revision ID: i15_security
Revises: i19_reading_taken_order
"""

import sqlalchemy as sa
from alembic import op

from lims.core.db import UTCDateTime

revision = "i15_security"
down_revision = "i19_reading_taken_order"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_user_session_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
    )
    with op.batch_alter_table("user_session") as batch:
        batch.create_index(batch.f("ix_user_session_user_id"), ["user_id"], unique=False)
    op.create_table(
        "login_throttle",
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("window_start", UTCDateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_login_throttle")),
    )
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchor")),
    )
    # the head of the chain as it stands (existing rows are anchored as they are)
    op.execute(sa.text(
        "INSERT INTO audit_anchor (id, last_hash, row_count) SELECT 1, "
        f"COALESCE((SELECT row_hash FROM audit_entry ORDER BY id DESC LIMIT 1), '{GENESIS}'), "
        "(SELECT COUNT(*) FROM audit_entry) "
        "WHERE EXISTS (SELECT 1 FROM audit_entry)"))
    with op.batch_alter_table("station_result") as batch:
        batch.drop_constraint("uq_station_result_uid", type_="unique")
        batch.create_unique_constraint("uq_station_result_station_uid",
                                       ["station_org_id", "uid"])


def downgrade():
    with op.batch_alter_table("station_result") as batch:
        batch.drop_constraint("uq_station_result_station_uid", type_="unique")
        batch.create_unique_constraint("uq_station_result_uid", ["uid"])
    op.drop_table("audit_anchor")
    op.drop_table("login_throttle")
    with op.batch_alter_table("user_session") as batch:
        batch.drop_index(batch.f("ix_user_session_user_id"))
    op.drop_table("user_session")
