"""statistics as the plan defines them: market stalls, public notices, capability withdrawal

Revision ID: i16_stats_definitions
Revises: i13e_declared
Create Date: 2026-12-02

Existing data: every market gets its stalls — the normalised stall codes its station results
already name, then A-1 … A-n up to its registered ``stall_count`` — and the stored stall
codes of its results are normalised, so past results still count for the stall they name.
The statistics rollup gets its new columns and is rebuilt on the next request
(``stats_unit`` is emptied: ``lims.stats.rollup.prepare`` rebuilds an empty rollup).
"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

import lims.core.db

revision = "i16_stats_definitions"
down_revision = "i13e_declared"
branch_labels = None
depends_on = None

_PARTS = re.compile(r"[A-Z]+|\d+|[^\W\d_A-Za-z]+", re.UNICODE)


def _normalise(text):
    # the rule of lims.stations.stalls.normalise_stall, frozen here as the migration ran
    text = unicodedata.normalize("NFKC", text or "").upper()
    return "-".join(str(int(p)) if p.isdigit() else p for p in _PARTS.findall(text))


def upgrade():
    op.create_table(
        "market_stall",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("vendor", sa.String(length=80), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", lims.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lims.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["market_id"], ["market.id"],
                                name=op.f("fk_market_stall_market_id_market")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_stall")),
        sa.UniqueConstraint("market_id", "code", name="uq_market_stall_code"),
    )
    with op.batch_alter_table("market_stall", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_market_stall_market_id"), ["market_id"],
                              unique=False)

    op.create_table(
        "public_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("issuer", sa.String(length=120), nullable=False),
        sa.Column("published_at", lims.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("correction_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["published_by_id"], ["user_account.id"],
                                name=op.f("fk_public_notice_published_by_id_user_account")),
        sa.ForeignKeyConstraint(["replaces_id"], ["public_notice.id"],
                                name=op.f("fk_public_notice_replaces_id_public_notice")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_notice")),
        sa.UniqueConstraint("number", name=op.f("uq_public_notice_number")),
        sa.UniqueConstraint("replaces_id", name=op.f("uq_public_notice_replaces_id")),
    )
    op.create_table(
        "public_notice_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("qualified", sa.Boolean(), nullable=False),
        sa.Column("sample_number", sa.String(length=40), nullable=False),
        sa.Column("producer_name", sa.String(length=160), nullable=False),
        sa.Column("producer_address", sa.String(length=255), nullable=False),
        sa.Column("business_name", sa.String(length=160), nullable=False),
        sa.Column("business_address", sa.String(length=255), nullable=False),
        sa.Column("food_name", sa.String(length=120), nullable=False),
        sa.Column("specification", sa.String(length=120), nullable=False),
        sa.Column("batch", sa.String(length=80), nullable=False),
        sa.Column("failing_items", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=120), nullable=False),
        sa.Column("sampled_on", sa.Date(), nullable=False),
        sa.Column("lab_name", sa.String(length=160), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["public_notice.id"],
                                name=op.f("fk_public_notice_entry_notice_id_public_notice")),
        sa.ForeignKeyConstraint(["sample_id"], ["sample.id"],
                                name=op.f("fk_public_notice_entry_sample_id_sample")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_notice_entry")),
        sa.UniqueConstraint("notice_id", "sample_id", name="uq_public_notice_entry_sample"),
    )
    with op.batch_alter_table("public_notice_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_public_notice_entry_notice_id"), ["notice_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_public_notice_entry_sample_id"), ["sample_id"],
                              unique=False)

    with op.batch_alter_table("lab_capability", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", lims.core.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_lab_capability_withdrawn_by_id_user_account"),
                                    "user_account", ["withdrawn_by_id"], ["id"])

    op.execute("DELETE FROM stats_unit")
    op.execute("DELETE FROM stats_test")
    op.execute("DELETE FROM stats_item_count")
    op.execute("DELETE FROM stats_dirty")
    with op.batch_alter_table("stats_unit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("subcategory_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("stats_unit", schema=None) as batch_op:
        batch_op.alter_column("published", server_default=None)

    _migrate_stalls()


def _migrate_stalls():
    bind = op.get_bind()
    markets = bind.execute(sa.text("SELECT id, stall_count FROM market")).all()
    for market_id, stall_count in markets:
        codes = []
        for (raw,) in bind.execute(sa.text(
                "SELECT DISTINCT stall FROM station_result WHERE market_id = :m"),
                {"m": market_id}):
            code = _normalise(raw)
            if code and code != raw:
                bind.execute(sa.text("UPDATE station_result SET stall = :c "
                                     "WHERE market_id = :m AND stall = :r"),
                             {"c": code, "m": market_id, "r": raw})
            if code and code not in codes:
                codes.append(code)
        n = 1
        while len(codes) < (stall_count or 0):
            if f"A-{n}" not in codes:
                codes.append(f"A-{n}")
            n += 1
        for code in codes:
            bind.execute(sa.text(
                "INSERT INTO market_stall (market_id, code, active, created_at, updated_at) "
                "VALUES (:m, :c, :a, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"m": market_id, "c": code, "a": True})


def downgrade():
    with op.batch_alter_table("stats_unit", schema=None) as batch_op:
        batch_op.drop_column("subcategory_id")
        batch_op.drop_column("published")
    with op.batch_alter_table("lab_capability", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_lab_capability_withdrawn_by_id_user_account"),
                                 type_="foreignkey")
        batch_op.drop_column("withdrawn_by_id")
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_at")
    op.drop_table("public_notice_entry")
    op.drop_table("public_notice")
    op.drop_table("market_stall")
