"""The evidence ledger: entries, subtree hashes, payloads, checkpoints.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "affidavit_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("entry", sa.LargeBinary, nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(128), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("time", sa.String(32), nullable=False),
    )
    op.create_index("ix_ledger_entries_case_seq", "ledger_entries", ["case_id", "seq"])
    op.create_index("ix_ledger_entries_type_seq", "ledger_entries", ["type", "seq"])
    op.create_table(
        "ledger_nodes",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "ledger_payloads",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("ordinal", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_ledger_payloads_sha256", "ledger_payloads", ["sha256"])
    op.create_table(
        "ledger_checkpoints",
        sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("note", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "ledger_checkpoints",
        "ledger_payloads",
        "ledger_nodes",
        "ledger_entries",
        "affidavit_meta",
    ):
        op.drop_table(table)
