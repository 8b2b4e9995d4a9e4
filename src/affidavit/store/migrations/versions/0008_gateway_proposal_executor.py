"""Who executes a proposal: ``proposals.executor`` is NULL when Affidavit's executor
does, ``caller`` when the proposer acts itself (the MCP gateway forwarding the call
to its upstream tool server) and reports the execution.

Existing proposals keep NULL, as their ``proposal.created`` entries say;
``affidavit db rebuild`` derives the same rows.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("executor", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.drop_column("executor")
