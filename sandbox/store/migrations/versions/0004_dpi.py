"""The establishment's record system (DPI): units, stays, orders, administrations, shared files.

Tenants of an upgraded database get their DPI data when they are next reset (seeding fills it).

Revision ID: 0004_dpi
Revises: 0003_secrets
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004_dpi'
down_revision = '0003_secrets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dpi_administrations',
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('order_id', sa.String(length=32), nullable=False),
    sa.Column('stay_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dose', sa.String(length=128), nullable=False),
    sa.Column('nurse', sa.String(length=128), nullable=False),
    sa.Column('entered_by', sa.String(length=128), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('form_id', sa.String(length=32), nullable=True),
    sa.Column('form_line', sa.Integer(), nullable=True),
    sa.Column('comment', sa.String(length=512), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'id')
    )
    with op.batch_alter_table('dpi_administrations', schema=None) as batch_op:
        batch_op.create_index('ix_dpi_adm_form', ['tenant', 'form_id'], unique=False)
        batch_op.create_index('ix_dpi_adm_order', ['tenant', 'order_id'], unique=False)

    op.create_table('dpi_orders',
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('stay_id', sa.String(length=32), nullable=False),
    sa.Column('drug', sa.String(length=256), nullable=False),
    sa.Column('atc', sa.String(length=16), nullable=False),
    sa.Column('dose', sa.String(length=128), nullable=False),
    sa.Column('times', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('prescriber_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'id')
    )
    with op.batch_alter_table('dpi_orders', schema=None) as batch_op:
        batch_op.create_index('ix_dpi_orders_stay', ['tenant', 'stay_id'], unique=False)

    op.create_table('dpi_shared_files',
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('backup', sa.LargeBinary(), nullable=True),
    sa.Column('original_name', sa.String(length=256), nullable=True),
    sa.Column('encrypted', sa.Boolean(), nullable=False),
    sa.Column('ransom_note', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'name')
    )
    op.create_table('dpi_stays',
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('bed', sa.String(length=8), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('ins', sa.String(length=15), nullable=True),
    sa.Column('birth_name', sa.String(length=256), nullable=False),
    sa.Column('given_names', sa.String(length=512), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('allergies', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'id')
    )
    with op.batch_alter_table('dpi_stays', schema=None) as batch_op:
        batch_op.create_index('ix_dpi_stays_unit', ['tenant', 'unit'], unique=False)

    op.create_table('dpi_units',
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'code')
    )


def downgrade() -> None:
    op.drop_table('dpi_units')
    with op.batch_alter_table('dpi_stays', schema=None) as batch_op:
        batch_op.drop_index('ix_dpi_stays_unit')

    op.drop_table('dpi_stays')
    op.drop_table('dpi_shared_files')
    with op.batch_alter_table('dpi_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_dpi_orders_stay')

    op.drop_table('dpi_orders')
    with op.batch_alter_table('dpi_administrations', schema=None) as batch_op:
        batch_op.drop_index('ix_dpi_adm_order')
        batch_op.drop_index('ix_dpi_adm_form')

    op.drop_table('dpi_administrations')
