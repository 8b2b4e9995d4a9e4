"""Accountable administration: incidents (a rejected break-glass review), legal holds on
cases, erasure requests that a second admin approves (see
``affidavit/governance/_accountability_tables.py``). New tables only: older ledgers
hold none of these events, so there is nothing to copy.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("case_id", sa.String(128), nullable=True),
        sa.Column("proposal_id", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("opened_seq", sa.BigInteger(), nullable=False),
        sa.Column("cause_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_incidents_case_id", "incidents", ["case_id"])
    op.create_table(
        "case_holds",
        sa.Column("case_id", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("held_by", sa.String(200), nullable=False),
        sa.Column("held_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "erasure_requests",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("cases", sa.Text(), nullable=False),
        sa.Column("payloads", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_seq", sa.BigInteger(), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("approved_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("erasure_requests")
    op.drop_table("case_holds")
    op.drop_index("ix_incidents_case_id", "incidents")
    op.drop_table("incidents")
