"""Verification of meaning: the state tables are exactly the projection of the ledger.

A valid ledger proves what was recorded; decisions read the state tables. Someone
with write access to the database can add a row the ledger never recorded (an
approval that meets a quorum, a policy bundle never published) without touching
an entry. :func:`check_state` replays every entry through the one projector into a
fresh in-memory database and compares every projected table with the live one,
row by row, naming the first difference.

It needs no secret: the only payloads the projector reads are policy bundle and
configuration texts, and those are taken from the live row whose SHA-256 is
the payload reference the entry commits to (a live text that does not hash to it
is not used, and the replay then fails naming the bundle). Live tables and
entries are read in one read transaction, so a writer appending meanwhile cannot
make them disagree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, create_engine, select
from sqlalchemy.pool import StaticPool

from affidavit.errors import VerificationError
from affidavit.governance import _tables as t
from affidavit.governance import projection
from affidavit.governance._config_tables import configurations
from affidavit.governance.rebuild import stored_entries
from affidavit.store.engine import Database
from affidavit.store.schema import metadata

__all__ = ["StateReport", "check_state"]

Rows = dict[tuple[Any, ...], tuple[Any, ...]]


@dataclass(frozen=True)
class StateReport:
    entries: int
    """Ledger entries replayed."""
    tables: int
    """Projected tables compared."""
    rows: int
    """Live rows compared."""


def _rows(conn: Connection, table: Table) -> Rows:
    key = list(table.primary_key.columns)
    names = [c.name for c in table.columns]
    positions = [names.index(c.name) for c in key]
    found: Rows = {}
    for row in conn.execute(select(table).order_by(*key)):
        values = tuple(row)
        found[tuple(values[i] for i in positions)] = values
    return found


def _first_difference(table: Table, live: Rows, replayed: Rows) -> str | None:
    names = [c.name for c in table.columns]
    for key in sorted(live.keys() | replayed.keys(), key=repr):
        where = ", ".join(
            f"{c.name}={v!r}" for c, v in zip(table.primary_key.columns, key, strict=True)
        )
        where = where if len(where) <= 200 else where[:197] + "..."
        mine, theirs = live.get(key), replayed.get(key)
        if mine == theirs:
            continue
        if theirs is None:
            return f"table {table.name}: row ({where}) is not in the ledger's projection"
        if mine is None:
            return f"table {table.name}: row ({where}) of the ledger's projection is missing"
        column = next(n for n, a, b in zip(names, mine, theirs, strict=True) if a != b)
        return f"table {table.name}: row ({where}) differs from the ledger in column {column}"
    return None


def _published_texts(conn: Connection) -> dict[str, bytes]:
    """Live policy bundle and configuration texts by the SHA-256 of their bytes (what a
    payload reference is): a live text that does not hash to it is never used."""
    rows = [
        *conn.execute(select(t.policy_bundles.c.text)),
        *conn.execute(select(configurations.c.text)),
    ]
    texts = (row.text.encode() for row in rows)
    return {hashlib.sha256(text).hexdigest(): text for text in texts}


def check_state(db: Database, tables: Sequence[Table] | None = None) -> StateReport:
    """Raise VerificationError naming the first row where a projected table differs
    from the projection of the ledger's entries; the report says what was compared."""
    tables = list(tables or projection.PROJECTED_TABLES)
    scratch = create_engine("sqlite://", poolclass=StaticPool)
    try:
        with db.read() as live, scratch.begin() as replayed:
            metadata.create_all(replayed, tables=list(projection.PROJECTED_TABLES))
            texts = _published_texts(live)
            try:
                count = projection.replay_into(replayed, stored_entries(live), texts.get)
            except VerificationError as exc:
                raise VerificationError(
                    f"the state tables are not the projection of the ledger: {exc}"
                ) from None
            compared = 0
            for table in tables:
                mine, theirs = _rows(live, table), _rows(replayed, table)
                compared += len(mine)
                difference = _first_difference(table, mine, theirs)
                if difference is not None:
                    raise VerificationError(
                        f"the state tables are not the projection of the ledger: {difference}"
                    )
            return StateReport(count, len(tables), compared)
    finally:
        scratch.dispose()
