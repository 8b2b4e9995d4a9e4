"""The published governance configurations: the ledger's image, written by the projector."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table, Text

from affidavit.store.schema import metadata

__all__ = ["configurations"]

configurations = Table(
    "configurations",
    metadata,
    Column("hash", String(64), primary_key=True),  # SHA-256 of the text
    Column("text", Text, nullable=False),
    Column("catalog_hash", String(64), nullable=False),
    Column("published_seq", BigInteger, nullable=False, unique=True),  # the newest is in force
    Column("published_by", String(200), nullable=False),
)
