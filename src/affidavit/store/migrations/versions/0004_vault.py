"""Evidence vault: payloads encrypted under wrapped data keys; erasure markers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_payloads") as batch:
        batch.add_column(sa.Column("wrapped_key", sa.LargeBinary, nullable=True))
        batch.add_column(sa.Column("kek_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("erased_seq", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger_payloads") as batch:
        batch.drop_column("erased_seq")
        batch.drop_column("kek_id")
        batch.drop_column("wrapped_key")
