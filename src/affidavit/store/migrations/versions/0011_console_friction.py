"""Friction state: the evidence items each person opened, and the rubber-stamp signals
shown (both projected from their ledger entries; ``affidavit db rebuild`` derives them).

Both tables start empty: no ledger written before them holds these entry types.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_items_opened",
        sa.Column("proposal_id", sa.String(64), nullable=False),
        sa.Column("identity_id", sa.String(128), nullable=False),
        sa.Column("item", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("proposal_id", "identity_id", "item"),
    )
    op.create_table(
        "stamp_signals",
        sa.Column("identity_id", sa.String(128), nullable=False),
        sa.Column("proposal_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("identity_id", "proposal_id"),
    )


def downgrade() -> None:
    op.drop_table("stamp_signals")
    op.drop_table("evidence_items_opened")
