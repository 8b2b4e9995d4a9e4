"""Connectors: the execution record that makes them idempotent, and the state
of the simulated EDR, identity provider, firewall, mail gateway, case and
ticketing systems (see ``affidavit/connectors/_tables.py``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TIME = 32
_EXEC_ID = 128
_OBJECT_ID = 255


def upgrade() -> None:
    op.create_table(
        "connector_executions",
        sa.Column("execution_id", sa.String(_EXEC_ID), nullable=False),
        sa.Column("connector", sa.String(32), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("action_hash", sa.String(64), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(_TIME), nullable=False),
        sa.Column("finished_at", sa.String(_TIME), nullable=True),
        sa.PrimaryKeyConstraint("execution_id"),
    )
    op.create_table(
        "sim_edr_hosts",
        sa.Column("host_id", sa.String(_OBJECT_ID), nullable=False),
        sa.Column("isolated", sa.Boolean(), nullable=False),
        sa.Column("isolated_at", sa.String(_TIME), nullable=True),
        sa.Column("isolated_by", sa.String(_EXEC_ID), nullable=True),
        sa.Column("isolation_comment", sa.Text(), nullable=True),
        sa.Column("isolation_allow_ips", sa.Text(), nullable=True),
        sa.Column("wiped_at", sa.String(_TIME), nullable=True),
        sa.Column("wiped_by", sa.String(_EXEC_ID), nullable=True),
        sa.Column("updated_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("host_id"),
    )
    op.create_table(
        "sim_edr_quarantine",
        sa.Column("file_sha", sa.String(64), nullable=False),
        sa.Column("host_id", sa.String(_OBJECT_ID), nullable=False),
        sa.Column("quarantined_at", sa.String(_TIME), nullable=False),
        sa.Column("quarantined_by", sa.String(_EXEC_ID), nullable=False),
        sa.PrimaryKeyConstraint("file_sha", "host_id"),
    )
    op.create_table(
        "sim_edr_killed_processes",
        sa.Column("execution_id", sa.String(_EXEC_ID), nullable=False),
        sa.Column("host_id", sa.String(_OBJECT_ID), nullable=False),
        sa.Column("pid", sa.BigInteger(), nullable=False),
        sa.Column("image_sha256", sa.String(64), nullable=True),
        sa.Column("killed_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("execution_id"),
    )
    op.create_index(
        "ix_sim_edr_killed_host_pid", "sim_edr_killed_processes", ["host_id", "pid"], unique=False
    )
    op.create_table(
        "sim_idp_accounts",
        sa.Column("user_id", sa.String(_OBJECT_ID), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_at", sa.String(_TIME), nullable=True),
        sa.Column("disabled_by", sa.String(_EXEC_ID), nullable=True),
        sa.Column("disable_comment", sa.Text(), nullable=True),
        sa.Column("active_sessions", sa.Integer(), nullable=False),
        sa.Column("sessions_revoked", sa.Integer(), nullable=True),
        sa.Column("sessions_revoked_at", sa.String(_TIME), nullable=True),
        sa.Column("sessions_revoked_by", sa.String(_EXEC_ID), nullable=True),
        sa.Column("password_reset_required", sa.Boolean(), nullable=False),
        sa.Column("password_reset_at", sa.String(_TIME), nullable=True),
        sa.Column("password_reset_by", sa.String(_EXEC_ID), nullable=True),
        sa.Column("updated_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "sim_firewall_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("execution_id", sa.String(_EXEC_ID), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(_OBJECT_ID), nullable=False),
        sa.Column("direction", sa.String(16), nullable=True),
        sa.Column("include_subdomains", sa.Boolean(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(_TIME), nullable=False),
        sa.Column("expires_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("execution_id"),
    )
    op.create_index(
        "ix_sim_firewall_rules_value", "sim_firewall_rules", ["kind", "value"], unique=False
    )
    op.create_table(
        "sim_email_blocks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("execution_id", sa.String(_EXEC_ID), nullable=False),
        sa.Column("sender", sa.String(_OBJECT_ID), nullable=False),
        sa.Column("sender_kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(_TIME), nullable=False),
        sa.Column("expires_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("execution_id"),
    )
    op.create_index("ix_sim_email_blocks_sender", "sim_email_blocks", ["sender"], unique=False)
    op.create_table(
        "sim_email_deleted_items",
        sa.Column("mailbox", sa.String(_OBJECT_ID), nullable=False),
        sa.Column("message_key", sa.String(64), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("deleted_at", sa.String(_TIME), nullable=False),
        sa.Column("deleted_by", sa.String(_EXEC_ID), nullable=False),
        sa.PrimaryKeyConstraint("mailbox", "message_key"),
    )
    op.create_table(
        "sim_case_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("execution_id", sa.String(_EXEC_ID), nullable=False),
        sa.Column("case_id", sa.String(_OBJECT_ID), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("execution_id"),
    )
    op.create_index("ix_sim_case_notes_case", "sim_case_notes", ["case_id"], unique=False)
    op.create_table(
        "sim_tickets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("execution_id", sa.String(_EXEC_ID), nullable=False),
        sa.Column("target_kind", sa.String(32), nullable=False),
        sa.Column("target_id", sa.String(_OBJECT_ID), nullable=False),
        sa.Column("case_id", sa.String(128), nullable=True),
        sa.Column("summary", sa.String(200), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("execution_id"),
    )


def downgrade() -> None:
    op.drop_table("sim_tickets")
    op.drop_index("ix_sim_case_notes_case", table_name="sim_case_notes")
    op.drop_table("sim_case_notes")
    op.drop_table("sim_email_deleted_items")
    op.drop_index("ix_sim_email_blocks_sender", table_name="sim_email_blocks")
    op.drop_table("sim_email_blocks")
    op.drop_index("ix_sim_firewall_rules_value", table_name="sim_firewall_rules")
    op.drop_table("sim_firewall_rules")
    op.drop_table("sim_idp_accounts")
    op.drop_index("ix_sim_edr_killed_host_pid", table_name="sim_edr_killed_processes")
    op.drop_table("sim_edr_killed_processes")
    op.drop_table("sim_edr_quarantine")
    op.drop_table("sim_edr_hosts")
    op.drop_table("connector_executions")
