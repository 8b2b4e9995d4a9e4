"""The SQLAlchemy Core schema. Alembic migrations in ``migrations/`` create it.

Ledger tables hold only what verification can check: every column of every
``ledger_*`` table is either hashed into the Merkle tree, signed in a
checkpoint, or reconstructible from rows that are (see ``ledger/verify.py``).
Types are portable so SQLite and PostgreSQL share one schema.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "ledger_checkpoints",
    "ledger_entries",
    "ledger_nodes",
    "ledger_payloads",
    "meta",
    "metadata",
]

metadata = MetaData()

meta = Table(
    "affidavit_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
"""Identity of this database: ``schema`` marker, ``log_origin``, ``log_verifier_key``."""

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("entry", LargeBinary, nullable=False),
    # The four columns below repeat fields of ``entry`` for queries; verify
    # checks them against the entry bytes.
    Column("type", String(64), nullable=False),
    Column("case_id", String(128), nullable=True),
    Column("actor", String(200), nullable=False),
    Column("time", String(32), nullable=False),
)
Index("ix_ledger_entries_case_seq", ledger_entries.c.case_id, ledger_entries.c.seq)
Index("ix_ledger_entries_type_seq", ledger_entries.c.type, ledger_entries.c.seq)

ledger_nodes = Table(
    "ledger_nodes",
    metadata,
    # id = end * 64 + level, where the complete subtree covers leaves
    # [end - 2**level, end): ordering by id is the order in which subtrees
    # complete, so verification can stream nodes beside entries.
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

ledger_payloads = Table(
    "ledger_payloads",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("ordinal", Integer, primary_key=True, autoincrement=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),  # sealed: nonce || AES-256-GCM ciphertext
    Column("wrapped_key", LargeBinary, nullable=True),  # the data key, wrapped by the KEK
    Column("kek_id", String(32), nullable=True),
    Column("erased_seq", BigInteger, nullable=True),  # the payload.erased entry, once erased
)
Index("ix_ledger_payloads_sha256", ledger_payloads.c.sha256)

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("note", Text, nullable=False),
)
