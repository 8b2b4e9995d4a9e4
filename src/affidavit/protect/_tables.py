"""The token table: each token of the tokenize treatment and its sealed original.

``data`` is the vault-sealed envelope of the original value (AES-256-GCM under its
own data key, ``wrapped_key`` by the vault's key-encryption key ``kek_id``);
``sha256`` is the envelope's hash, which the vault needs to open it. The
envelope starts with 16 random bytes, so the hash cannot be matched against a
guessed value (an SSN or a phone number has few enough candidates to try them
all). Migration ``0005`` creates this table; keep the two in step.
"""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary, String, Table

from affidavit.store.schema import metadata

__all__ = ["protect_tokens"]

protect_tokens = Table(
    "protect_tokens",
    metadata,
    Column("token", String(128), primary_key=True),  # e.g. [PII:email:tok_0123456789abcdef]
    Column("kind", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("kek_id", String(32), nullable=False),
    Column("created_at", String(32), nullable=False),  # UTC, 2026-11-28T04:23:00.123456Z
)
