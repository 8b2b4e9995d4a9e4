"""The console's service table: signed-in sessions, shared by every worker on one database
(not governance state: nothing here is ledgered, and a rebuild leaves it alone)."""

from __future__ import annotations

from sqlalchemy import Column, Index, LargeBinary, String, Table

from affidavit.store.schema import metadata

__all__ = ["console_sessions"]

console_sessions = Table(
    "console_sessions",
    metadata,
    # SHA-256 of the random session id: the id itself is only in the person's cookie.
    Column("key", String(64), primary_key=True),
    Column("identity_id", String(128), nullable=False),
    # The identity token, sealed by the evidence vault (never in clear).
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("kek_id", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("last_seen_at", String(32), nullable=False),
)
Index("ix_console_sessions_last_seen_at", console_sessions.c.last_seen_at)
