"""The service's own tables: idempotency records, webhook nonces and rate-limit windows
(not governance state: nothing here is ledgered, and a rebuild leaves them alone)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, String, Table

from affidavit.store.schema import metadata

__all__ = ["idempotency", "rate_windows", "webhook_nonces"]

idempotency = Table(
    "api_idempotency",
    metadata,
    Column("identity_id", String(128), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("request_sha256", String(64), nullable=False),
    Column("status", Integer, nullable=True),  # None while the first request runs
    Column("response", LargeBinary, nullable=True),
    Column("created_at", String(32), nullable=False),
)

webhook_nonces = Table(
    "api_webhook_nonces",
    metadata,
    Column("nonce", String(128), primary_key=True),
    Column("seen_at", String(32), nullable=False),
)
Index("ix_api_webhook_nonces_seen_at", webhook_nonces.c.seen_at)

rate_windows = Table(
    "api_rate_windows",
    metadata,
    Column("identity_id", String(128), primary_key=True),
    Column("window", Integer, nullable=False),  # seconds since the epoch // window length
    Column("granted", Integer, nullable=False),  # requests granted to all nodes in it
)
