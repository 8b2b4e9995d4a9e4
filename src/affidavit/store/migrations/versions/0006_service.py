"""The service's own state: idempotency records, webhook nonces, prepared steps
(see ``affidavit/api/_tables.py`` and ``affidavit/governance/_service_tables.py``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_idempotency",
        sa.Column("identity_id", sa.String(128), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("response", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("identity_id", "key"),
    )
    op.create_table(
        "api_webhook_nonces",
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("seen_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("nonce"),
    )
    op.create_index("ix_api_webhook_nonces_seen_at", "api_webhook_nonces", ["seen_at"])
    op.create_table(
        "prepared_steps",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(128), nullable=False),
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(128), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("parents", sa.Text(), nullable=False),
        sa.Column("data_classes", sa.Text(), nullable=False),
        sa.Column("handoff_from", sa.Text(), nullable=False),
        sa.Column("treatments", sa.Text(), nullable=False),
        sa.Column("prompt_sha256", sa.String(64), nullable=False),
        sa.Column("inputs_sha256", sa.Text(), nullable=False),
        sa.Column("original", sa.LargeBinary(), nullable=True),
        sa.Column("original_key", sa.LargeBinary(), nullable=True),
        sa.Column("original_kek", sa.String(32), nullable=True),
        sa.Column("prepared_seq", sa.BigInteger(), nullable=False),
        sa.Column("completed_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_prepared_steps_agent_id", "prepared_steps", ["agent_id"])


def downgrade() -> None:
    op.drop_index("ix_prepared_steps_agent_id", table_name="prepared_steps")
    op.drop_table("prepared_steps")
    op.drop_index("ix_api_webhook_nonces_seen_at", table_name="api_webhook_nonces")
    op.drop_table("api_webhook_nonces")
    op.drop_table("api_idempotency")
