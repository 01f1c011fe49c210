"""IMAP that real clients trust: a UIDVALIDITY per mailbox, drawn from a store-wide counter.

Release 0.1 gave every mailbox UIDVALIDITY 1 whatever happened to it; its mailboxes are set
back to 0 ("not given yet"), so IMAP gives each a fresh value when it first opens it, and a
client such as mbsync resynchronises once instead of trusting stale UIDs.

Revision ID: 0002_imap_uidvalidity
Revises: 0001_stage1
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_imap_uidvalidity"
down_revision = "0001_stage1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mss_uid_validity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mss_mailboxes") as batch_op:
        batch_op.alter_column("uid_validity", existing_type=sa.Integer(),
                              type_=sa.BigInteger(), existing_nullable=False)
    op.execute("UPDATE mss_mailboxes SET uid_validity = 0")


def downgrade() -> None:
    with op.batch_alter_table("mss_mailboxes") as batch_op:
        batch_op.alter_column("uid_validity", existing_type=sa.BigInteger(),
                              type_=sa.Integer(), existing_nullable=False)
    op.drop_table("mss_uid_validity")
