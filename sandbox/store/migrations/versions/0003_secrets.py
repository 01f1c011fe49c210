"""Issue 14: secrets per deployment, caller-scoped idempotency keys, DMP search by date.

- `deployment_secrets`: the token-signing secret and the generated facilitator password of
  the deployment (sandbox/deployment.py);
- `erx_prescriptions.idempotency_hash`, and the key unique per caller (tenant, prescriber,
  key) instead of per tenant: a replay is answered only to its caller with the same body;
- `ix_dmp_documents_patient_date`: a search pages a patient's documents by date in SQL.

Revision ID: 0003_secrets
Revises: 0002_imap_uidvalidity
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_secrets"
down_revision = "0002_imap_uidvalidity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployment_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("erx_prescriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_hash", sa.String(length=64), nullable=True))
        batch_op.drop_constraint("uq_erx_idempotency", type_="unique")
        batch_op.create_unique_constraint(
            "uq_erx_idempotency", ["tenant", "prescriber_login", "idempotency_key"])
    with op.batch_alter_table("dmp_documents", schema=None) as batch_op:
        batch_op.create_index("ix_dmp_documents_patient_date", ["tenant", "patient_id", "date"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dmp_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_dmp_documents_patient_date")
    with op.batch_alter_table("erx_prescriptions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_erx_idempotency", type_="unique")
        batch_op.create_unique_constraint("uq_erx_idempotency", ["tenant", "idempotency_key"])
        batch_op.drop_column("idempotency_hash")
    op.drop_table("deployment_secrets")
