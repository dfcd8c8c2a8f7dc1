"""audit trail: refuse UPDATE, DELETE and TRUNCATE of audit rows on PostgreSQL

Revision ID: a0d17c0ffee1
Revises: 19a6fe54778b
Create Date: 2026-11-29 03:41:00

SQLite has no way to stop its own owner; there the hash chain (lims audit verify) finds edits.
"""
from alembic import op

revision = "a0d17c0ffee1"
down_revision = "19a6fe54778b"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$ LANGUAGE plpgsql
    """)
    op.execute("""
        CREATE TRIGGER audit_entry_no_update_delete
        BEFORE UPDATE OR DELETE ON audit_entry
        FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()
    """)
    op.execute("""
        CREATE TRIGGER audit_entry_no_truncate
        BEFORE TRUNCATE ON audit_entry
        FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()
    """)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry")
    op.execute("DROP TRIGGER IF EXISTS audit_entry_no_update_delete ON audit_entry")
    op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
