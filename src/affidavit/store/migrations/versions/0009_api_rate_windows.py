"""The API's shared per-identity rate-limit windows (``api_rate_windows``, see
``affidavit/api/ratelimit.py``): a service table, not governance state.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_rate_windows",
        sa.Column("identity_id", sa.String(128), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("granted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("identity_id"),
    )


def downgrade() -> None:
    op.drop_table("api_rate_windows")
