"""IMAP UIDVALIDITY that changes when a mailbox is recreated (issue 14).

`mss_uid_validity` keeps the last value the store gave (no tenant column: it outlives
`sandbox reset`); `mss_mailboxes.uid_validity` becomes a 64-bit integer, since the values are
times in seconds and RFC 3501 allows them up to 2^32 - 1 (past 2038 in a signed 32-bit column).
Mailboxes keep the value they had (1 before this revision): clients already synced with it stay
valid, and the next reset gives a greater one.

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
    op.create_table("mss_uid_validity",
                    sa.Column("id", sa.Integer(), nullable=False),
                    sa.Column("last", sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint("id"))
    with op.batch_alter_table("mss_mailboxes") as batch:
        batch.alter_column("uid_validity", existing_type=sa.Integer(), type_=sa.BigInteger(),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("mss_mailboxes") as batch:
        batch.alter_column("uid_validity", existing_type=sa.BigInteger(), type_=sa.Integer(),
                           existing_nullable=False)
    op.drop_table("mss_uid_validity")
