"""declared values of a sample: executive standard and 明示值; longer limit-row analytes (issue 13)

Revision ID: i13e_declared
Revises: i14r_verdict_fields
Create Date: 2026-12-02 17:30:00

"""
from alembic import op
import sqlalchemy as sa

import lims.core.db


revision = 'i13e_declared'
down_revision = 'i14r_verdict_fields'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sample_declaration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sample_id', sa.Integer(), nullable=False),
    sa.Column('executive_standard', sa.String(length=200), nullable=False),
    sa.Column('created_at', lims.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lims.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sample_id'], ['sample.id'], name=op.f('fk_sample_declaration_sample_id_sample')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sample_declaration')),
    sa.UniqueConstraint('sample_id', name=op.f('uq_sample_declaration_sample_id'))
    )
    op.create_table('sample_declared_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('declaration_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=120), nullable=False),
    sa.Column('value', sa.String(length=80), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('created_at', lims.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lims.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['declaration_id'], ['sample_declaration.id'], name=op.f('fk_sample_declared_value_declaration_id_sample_declaration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sample_declared_value'))
    )
    with op.batch_alter_table('sample_declared_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sample_declared_value_declaration_id'), ['declaration_id'], unique=False)
    # GB 2760 names some additives with their members (磷酸及磷酸盐[包括…]): 135 characters.
    with op.batch_alter_table('limit_row', schema=None) as batch_op:
        batch_op.alter_column('analyte', existing_type=sa.String(length=120),
                              type_=sa.String(length=255), existing_nullable=False)


def downgrade():
    with op.batch_alter_table('limit_row', schema=None) as batch_op:
        batch_op.alter_column('analyte', existing_type=sa.String(length=255),
                              type_=sa.String(length=120), existing_nullable=False)
    with op.batch_alter_table('sample_declared_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sample_declared_value_declaration_id'))
    op.drop_table('sample_declared_value')
    op.drop_table('sample_declaration')
