"""The service's own tables: idempotency records and webhook nonces (not governance state)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, String, Table

from affidavit.store.schema import metadata

__all__ = ["idempotency", "webhook_nonces"]

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
