"""State from the ledger alone: replay into a scratch database, rebuild in place, compare.

Both run the projector (:mod:`affidavit.governance.projection`) over ledger
entries, the same code that wrote the live tables. ``affidavit case replay``
projects one case's entries into an in-memory SQLite database with the state
schema; ``affidavit db rebuild`` empties the live state tables and projects
every entry into them again, in one write transaction. ``tokens`` (credentials,
never ledgered) is neither replayed nor touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, create_engine, select
from sqlalchemy.pool import StaticPool

from affidavit.errors import NotFound
from affidavit.governance import projection
from affidavit.ledger.entry import StoredEntry
from affidavit.ledger.log import Ledger
from affidavit.ledger.reader import LedgerReader
from affidavit.store.schema import ledger_entries, metadata

__all__ = [
    "RebuildReport",
    "diff",
    "rebuild_in_place",
    "replay_scratch",
    "snapshot",
    "stored_entries",
]

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(conn: Connection) -> Snapshot:
    """Every row of every projected table, in primary-key order, by table name."""
    found: Snapshot = {}
    for table in projection.PROJECTED_TABLES:
        key = list(table.primary_key.columns)
        rows = conn.execute(select(table).order_by(*key)).all()
        found[table.name] = [tuple(r) for r in rows]
    return found


def diff(before: Snapshot, after: Snapshot) -> dict[str, int]:
    """Per table, how many rows are in one snapshot and not the other."""
    changed = {}
    for name in before.keys() | after.keys():
        old, new = set(before.get(name, ())), set(after.get(name, ()))
        if old != new:
            changed[name] = len(old ^ new)
    return changed


def _payload_or_none(ledger: LedgerReader, sha256: str) -> bytes | None:
    try:
        return ledger.payload(sha256)
    except NotFound:
        return None


@contextmanager
def replay_scratch(ledger: LedgerReader, *, case: str | None = None) -> Iterator[Connection]:
    """A fresh in-memory database holding the state the ledger's entries project to
    (one case's entries only, when ``case`` is given)."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        with engine.begin() as conn:
            metadata.create_all(conn, tables=list(projection.PROJECTED_TABLES))
            projection.replay_into(
                conn, ledger.entries(case=case), lambda ref: _payload_or_none(ledger, ref)
            )
            yield conn
    finally:
        engine.dispose()


@dataclass(frozen=True)
class RebuildReport:
    entries: int
    """Ledger entries replayed."""
    changed: dict[str, int]
    """Rows that differed before the rebuild, by table (empty: the tables were right)."""


def stored_entries(conn: Connection, chunk: int = 5000) -> Iterator[StoredEntry]:
    """Every committed entry in order, read through ``conn`` (inside its transaction)."""
    t = ledger_entries
    cols = (t.c.seq, t.c.leaf_hash, t.c.entry, t.c.type, t.c.case_id, t.c.actor, t.c.time)
    after = -1
    while True:
        q = select(*cols).where(t.c.seq > after).order_by(t.c.seq).limit(chunk)
        rows = conn.execute(q).all()
        for r in rows:
            yield StoredEntry(r[0], bytes(r[1]), bytes(r[2]), r[3], r[4], r[5], r[6])
        if len(rows) < chunk:
            return
        after = rows[-1][0]


def rebuild_in_place(ledger: Ledger) -> RebuildReport:
    """Empty the projected tables and replay every entry into them, in one transaction.

    The transaction holds the database's write lock, which every ledger writer
    needs too: nothing is appended meanwhile, and the rebuild commits whole or not
    at all. Appenders wait for it (up to the database's lock timeout).
    """
    with ledger.db.write() as conn:
        before = snapshot(conn)
        projection.clear(conn)
        count = projection.replay_into(
            conn, stored_entries(conn), lambda ref: _payload_or_none(ledger, ref)
        )
        return RebuildReport(count, diff(before, snapshot(conn)))
