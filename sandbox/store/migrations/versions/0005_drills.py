"""Drills: each run and its steps (injects and expectations) as they happen.

Revision ID: 0005_drills
Revises: 0004_dpi
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0005_drills'
down_revision = '0004_dpi'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('drill_runs',
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('scenario', sa.String(length=64), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('speed', sa.Float(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_s', sa.Float(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'id')
    )
    op.create_table('drill_steps',
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('run', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('due_s', sa.Float(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('done_s', sa.Float(), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'run', 'key')
    )
    with op.batch_alter_table('drill_steps', schema=None) as batch_op:
        batch_op.create_index('ix_drill_steps_due', ['state', 'due_at'], unique=False)


def downgrade() -> None:
    op.drop_table('drill_steps')
    op.drop_table('drill_runs')
