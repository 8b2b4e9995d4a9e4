"""State tables of accountable administration: incidents, legal holds, erasure requests.

Like every governance state table they are the ledger's image, written only by
the projector (``governance.projection``) from the events in
``governance/events/accountability.py``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table, Text

from affidavit.store.schema import metadata

__all__ = ["case_holds", "erasure_requests", "incidents"]

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(80), primary_key=True),  # inc_<proposal id>
    Column("case_id", String(128), nullable=True, index=True),
    Column("proposal_id", String(64), nullable=True),
    Column("reason", String(32), nullable=False),  # breakglass_rejected
    Column("opened_by", String(200), nullable=False),
    Column("opened_seq", BigInteger, nullable=False),
    Column("cause_seq", BigInteger, nullable=False),  # the entry that caused it
)

case_holds = Table(
    "case_holds",
    metadata,
    Column("case_id", String(128), primary_key=True),  # a row while the case is held
    Column("reason", Text, nullable=False),
    Column("held_by", String(200), nullable=False),
    Column("held_seq", BigInteger, nullable=False),
)

erasure_requests = Table(
    "erasure_requests",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("cases", Text, nullable=False),  # JSON list of case ids
    Column("payloads", Text, nullable=False),  # JSON list of SHA-256 (empty: whole cases)
    Column("reason", Text, nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("requested_seq", BigInteger, nullable=False),
    Column("approved_by", String(200), nullable=True),
    Column("approved_seq", BigInteger, nullable=True),
)
