"""Connector tables: the execution record, and the state of the simulated systems.

``connector_executions`` makes every connector idempotent: its primary key
is the execution id, so an action runs at most once however often (or however
concurrently) the executor asks. The ``sim_*`` tables are the "remote"
systems of the demo connectors; every row that an action changed names the
execution that changed it, so a reversal can find it later.

Times are UTC text in the ledger's format (``2026-11-28T04:23:00.123456Z``),
which sorts correctly as text on every backend. Migration ``0003`` creates
these tables; keep the two in step.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from affidavit.store.schema import metadata

__all__ = [
    "CONNECTOR_TABLES",
    "connector_executions",
    "sim_case_notes",
    "sim_edr_hosts",
    "sim_edr_killed_processes",
    "sim_edr_quarantine",
    "sim_email_blocks",
    "sim_email_deleted_items",
    "sim_firewall_rules",
    "sim_idp_accounts",
    "sim_tickets",
]

_TIME = 32
_EXEC_ID = 128
# Ids of simulated objects (hosts, users, mailboxes, domains) are at most 255
# characters, so even 4-byte UTF-8 stays within PostgreSQL's btree key limit.
_OBJECT_ID = 255

connector_executions = Table(
    "connector_executions",
    metadata,
    Column("execution_id", String(_EXEC_ID), primary_key=True),
    Column("connector", String(32), nullable=False),
    Column("action", String(64), nullable=False),
    Column("action_hash", String(64), nullable=False),
    # Canonical JSON of the ActionResult; NULL while a call to an outside
    # system (the webhook) is in flight, or if it was interrupted.
    Column("result", Text, nullable=True),
    Column("created_at", String(_TIME), nullable=False),
    Column("finished_at", String(_TIME), nullable=True),
)

sim_edr_hosts = Table(
    "sim_edr_hosts",
    metadata,
    Column("host_id", String(_OBJECT_ID), primary_key=True),
    Column("isolated", Boolean, nullable=False),
    Column("isolated_at", String(_TIME), nullable=True),
    Column("isolated_by", String(_EXEC_ID), nullable=True),
    Column("isolation_comment", Text, nullable=True),
    Column("isolation_allow_ips", Text, nullable=True),  # canonical JSON list
    Column("wiped_at", String(_TIME), nullable=True),
    Column("wiped_by", String(_EXEC_ID), nullable=True),
    Column("updated_at", String(_TIME), nullable=False),
)

sim_edr_quarantine = Table(
    "sim_edr_quarantine",
    metadata,
    Column("file_sha", String(64), primary_key=True),  # md5, sha1 or sha256, lowercase hex
    Column("host_id", String(_OBJECT_ID), primary_key=True),  # "*" = every host where present
    Column("quarantined_at", String(_TIME), nullable=False),
    Column("quarantined_by", String(_EXEC_ID), nullable=False),
)

sim_edr_killed_processes = Table(
    "sim_edr_killed_processes",
    metadata,
    Column("execution_id", String(_EXEC_ID), primary_key=True),
    Column("host_id", String(_OBJECT_ID), nullable=False),
    Column("pid", BigInteger, nullable=False),
    Column("image_sha256", String(64), nullable=True),
    Column("killed_at", String(_TIME), nullable=False),
)
Index(
    "ix_sim_edr_killed_host_pid", sim_edr_killed_processes.c.host_id, sim_edr_killed_processes.c.pid
)

sim_idp_accounts = Table(
    "sim_idp_accounts",
    metadata,
    Column("user_id", String(_OBJECT_ID), primary_key=True),
    Column("disabled", Boolean, nullable=False),
    Column("disabled_at", String(_TIME), nullable=True),
    Column("disabled_by", String(_EXEC_ID), nullable=True),
    Column("disable_comment", Text, nullable=True),
    Column("active_sessions", Integer, nullable=False),
    Column("sessions_revoked", Integer, nullable=True),  # how many the last revocation ended
    Column("sessions_revoked_at", String(_TIME), nullable=True),
    Column("sessions_revoked_by", String(_EXEC_ID), nullable=True),
    Column("password_reset_required", Boolean, nullable=False),
    Column("password_reset_at", String(_TIME), nullable=True),
    Column("password_reset_by", String(_EXEC_ID), nullable=True),
    Column("updated_at", String(_TIME), nullable=False),
)

sim_firewall_rules = Table(
    "sim_firewall_rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("execution_id", String(_EXEC_ID), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # "ip" or "domain"
    Column("value", String(_OBJECT_ID), nullable=False),
    Column("direction", String(16), nullable=True),
    Column("include_subdomains", Boolean, nullable=True),
    Column("comment", Text, nullable=True),
    Column("created_at", String(_TIME), nullable=False),
    Column("expires_at", String(_TIME), nullable=False),
)
Index("ix_sim_firewall_rules_value", sim_firewall_rules.c.kind, sim_firewall_rules.c.value)

sim_email_blocks = Table(
    "sim_email_blocks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("execution_id", String(_EXEC_ID), nullable=False, unique=True),
    Column("sender", String(_OBJECT_ID), nullable=False),
    Column("sender_kind", String(16), nullable=False),  # "email" or "domain"
    Column("created_at", String(_TIME), nullable=False),
    Column("expires_at", String(_TIME), nullable=False),
)
Index("ix_sim_email_blocks_sender", sim_email_blocks.c.sender)

sim_email_deleted_items = Table(
    "sim_email_deleted_items",
    metadata,
    Column("mailbox", String(_OBJECT_ID), primary_key=True),
    # SHA-256 of the message id: Message-IDs may be 998 characters, too long for a key.
    Column("message_key", String(64), primary_key=True),
    Column("message_id", Text, nullable=False),
    Column("deleted_at", String(_TIME), nullable=False),
    Column("deleted_by", String(_EXEC_ID), nullable=False),
)

sim_case_notes = Table(
    "sim_case_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("execution_id", String(_EXEC_ID), nullable=False, unique=True),
    Column("case_id", String(_OBJECT_ID), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", String(_TIME), nullable=False),
)
Index("ix_sim_case_notes_case", sim_case_notes.c.case_id)

sim_tickets = Table(
    "sim_tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("execution_id", String(_EXEC_ID), nullable=False, unique=True),
    Column("target_kind", String(32), nullable=False),
    Column("target_id", String(_OBJECT_ID), nullable=False),
    Column("case_id", String(128), nullable=True),
    Column("summary", String(200), nullable=False),
    Column("queue", String(64), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", String(_TIME), nullable=False),
)

CONNECTOR_TABLES: tuple[Table, ...] = (
    connector_executions,
    sim_edr_hosts,
    sim_edr_quarantine,
    sim_edr_killed_processes,
    sim_idp_accounts,
    sim_firewall_rules,
    sim_email_blocks,
    sim_email_deleted_items,
    sim_case_notes,
    sim_tickets,
)
