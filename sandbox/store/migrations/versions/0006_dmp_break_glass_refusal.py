"""The patient's advance refusal of emergency ("bris de glace") access to her DMP.

Mon espace santé lets a patient refuse, once for all, that any professional opens her DMP in
break-glass mode; existing patients have not refused (false).

Revision ID: 0006_dmp_break_glass_refusal
Revises: 0005_drills
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_dmp_break_glass_refusal"
down_revision = "0005_drills"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dmp_patients") as batch_op:
        batch_op.add_column(sa.Column("break_glass_refused", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("dmp_patients") as batch_op:
        batch_op.drop_column("break_glass_refused")
