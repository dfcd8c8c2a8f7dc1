"""results: how each verdict was reached (comparison, decision rule, LOD/LOQ state), the
method actually used, the limit's clause and status, the signatory's limit confirmation

Revision ID: i14r_verdict_fields
Revises: i14p_receipt_fields
"""
from alembic import op
import sqlalchemy as sa

revision = "i14r_verdict_fields"
down_revision = "i14p_receipt_fields"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("test_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("comparison", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("decision_rule", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("detection", sa.String(length=16), nullable=False,
                                      server_default="detected"))
        batch_op.add_column(sa.Column("lod_source", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("limit_clause", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("limit_verified", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("method_standard", sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column("capability_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("method_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_test_result_capability_id_lab_capability"),
                                    "lab_capability", ["capability_id"], ["id"])
    with op.batch_alter_table("result_signature", schema=None) as batch_op:
        batch_op.add_column(sa.Column("limit_confirmed", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # existing rows: what the record already knew
    test_result = sa.table("test_result", sa.column("detected", sa.Boolean),
                           sa.column("detection", sa.String), sa.column("verdict", sa.String),
                           sa.column("comparison", sa.String),
                           sa.column("decision_rule", sa.String))
    op.execute(test_result.update().where(test_result.c.detected.is_(False))
               .values(detection="not_detected"))
    # the worksheet stated 全数值比较法 with the simple rule for every verdict it gave
    op.execute(test_result.update().where(test_result.c.verdict.in_(("pass", "fail")))
               .values(comparison="full", decision_rule="simple"))


def downgrade():
    with op.batch_alter_table("result_signature", schema=None) as batch_op:
        batch_op.drop_column("limit_confirmed")
    with op.batch_alter_table("test_result", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_test_result_capability_id_lab_capability"),
                                 type_="foreignkey")
        for name in ("method_reason", "capability_id", "method_standard", "limit_verified",
                     "limit_clause", "lod_source", "detection", "decision_rule", "comparison"):
            batch_op.drop_column(name)
