"""Governance state for the event projector: explicit disposition supersession and the
alerts recorded, keyed by their raw SHA-256 (one alert, one entry, under any race).

Existing alert entries are copied into ``alerts`` (the first of any duplicates a
race left behind wins); ``affidavit db rebuild`` derives the same rows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dispositions") as batch:
        batch.add_column(sa.Column("supersedes", sa.BigInteger(), nullable=True))
    op.create_table(
        "alerts",
        sa.Column("raw_sha256", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("raw_sha256"),
    )
    # The entry type as it was written when this migration was: history, not code.
    op.execute(
        "INSERT INTO alerts (raw_sha256, seq, case_id) "
        "SELECT p.sha256, MIN(e.seq), MIN(e.case_id) FROM ledger_payloads p "
        "JOIN ledger_entries e ON e.seq = p.seq "
        "WHERE e.type = 'alert.ingested' AND p.ordinal = 0 AND e.case_id IS NOT NULL "
        "GROUP BY p.sha256"
    )


def downgrade() -> None:
    op.drop_table("alerts")
    with op.batch_alter_table("dispositions") as batch:
        batch.drop_column("supersedes")
