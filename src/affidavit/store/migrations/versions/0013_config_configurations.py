"""Published governance configurations (the action catalog and security settings).

Until one is published, the built-in configuration is in force, so an existing
database needs no rows here.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "configurations",
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("catalog_hash", sa.String(64), nullable=False),
        sa.Column("published_seq", sa.BigInteger(), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("hash"),
        sa.UniqueConstraint("published_seq"),
    )


def downgrade() -> None:
    op.drop_table("configurations")
