"""State of the two-phase step (prepare, then complete), written by ``service_ops``.

A prepared step holds what was handed to the model (as ledger payloads, by
SHA-256) and the caller's original text, sealed under its own data key wrapped
by the vault KEK; no plaintext hash of the original is stored anywhere.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, LargeBinary, String, Table, Text

from affidavit.store.schema import metadata

__all__ = ["prepared_steps"]

prepared_steps = Table(
    "prepared_steps",
    metadata,
    Column("id", String(64), primary_key=True),  # becomes the step's id once completed
    Column("case_id", String(128), nullable=False),
    Column("agent_id", String(128), nullable=False, index=True),
    Column("model", String(128), nullable=False),
    Column("model_version", String(128), nullable=False),
    Column("params", Text, nullable=False),  # JSON object
    Column("parents", Text, nullable=False),  # JSON list of step ids
    Column("data_classes", Text, nullable=False),  # JSON list: declared and exposed labels
    Column("handoff_from", Text, nullable=False),  # JSON list of agent ids
    Column("treatments", Text, nullable=False),  # JSON: labels and counts, never values
    Column("prompt_sha256", String(64), nullable=False),
    Column("inputs_sha256", Text, nullable=False),  # JSON list
    Column("original", LargeBinary, nullable=True),  # nonce || AES-256-GCM(original JSON)
    Column("original_key", LargeBinary, nullable=True),  # data key wrapped by the vault KEK
    Column("original_kek", String(32), nullable=True),
    Column("prepared_seq", BigInteger, nullable=False),
    Column("completed_seq", BigInteger, nullable=True),
)
