"""drug monographs and drug samples

Revision ID: i18_drugs
Revises: i17_risk
Create Date: 2026-12-02 17:30:00

"""
from alembic import op
import sqlalchemy as sa

import lims.core.db


revision = 'i18_drugs'
down_revision = 'i17_risk'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('drug_monograph',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('dosage_form', sa.String(length=20), nullable=False),
    sa.Column('standard', sa.String(length=120), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('created_at', lims.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lims.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['food_category.id'], name=op.f('fk_drug_monograph_node_id_food_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drug_monograph')),
    sa.UniqueConstraint('key', name=op.f('uq_drug_monograph_key'))
    )
    with op.batch_alter_table('drug_monograph', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drug_monograph_name'), ['name'], unique=False)

    op.create_table('drug_sample',
    sa.Column('sample_id', sa.Integer(), nullable=False),
    sa.Column('monograph_id', sa.Integer(), nullable=False),
    sa.Column('generic_name', sa.String(length=120), nullable=False),
    sa.Column('trade_name', sa.String(length=120), nullable=True),
    sa.Column('dosage_form', sa.String(length=20), nullable=False),
    sa.Column('strength', sa.String(length=60), nullable=False),
    sa.Column('labelled_amount', lims.core.db.DecimalString(), nullable=True),
    sa.Column('labelled_unit', sa.String(length=16), nullable=True),
    sa.Column('approval_number', sa.String(length=40), nullable=False),
    sa.Column('expiry', sa.Date(), nullable=False),
    sa.Column('manufacturer', sa.String(length=160), nullable=False),
    sa.Column('holder', sa.String(length=160), nullable=True),
    sa.Column('sampling_unit', sa.String(length=160), nullable=False),
    sa.Column('link', sa.Enum('production', 'distribution', 'use', name='supplylink', native_enum=False, length=24), nullable=False),
    sa.Column('created_at', lims.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lims.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['monograph_id'], ['drug_monograph.id'], name=op.f('fk_drug_sample_monograph_id_drug_monograph')),
    sa.ForeignKeyConstraint(['sample_id'], ['sample.id'], name=op.f('fk_drug_sample_sample_id_sample')),
    sa.PrimaryKeyConstraint('sample_id', name=op.f('pk_drug_sample'))
    )
    with op.batch_alter_table('drug_sample', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drug_sample_link'), ['link'], unique=False)
        batch_op.create_index(batch_op.f('ix_drug_sample_monograph_id'), ['monograph_id'], unique=False)


def downgrade():
    with op.batch_alter_table('drug_sample', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drug_sample_monograph_id'))
        batch_op.drop_index(batch_op.f('ix_drug_sample_link'))
    op.drop_table('drug_sample')
    with op.batch_alter_table('drug_monograph', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drug_monograph_name'))
    op.drop_table('drug_monograph')
