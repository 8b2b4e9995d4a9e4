"""Writes to the service's own tables (idempotency records, rate-limit windows).

They take the database's one write lock like every write (``BEGIN IMMEDIATE`` on
SQLite, the advisory lock on PostgreSQL), but do not wait for their own sync to
disk: on SQLite the transaction commits with ``synchronous=NORMAL`` (WAL: atomic,
visible to every process and safe against a process crash at once), on
PostgreSQL with ``synchronous_commit = off``. The next synchronous commit, which
is the ledger's own commit of the request the record guards, syncs the log they
share and so makes the record durable no later than that ledger entry: an
idempotency reservation always reaches disk before the entry it guards, so a retry
can never make a second entry. What a power loss (not a process crash) can lose
is a record written after the last ledger commit: the stored response of the last
creates (their retries then get 409, never a second entry) or a rate-limit count.

Syncing each of these on its own cost two extra disk syncs per create, each while
holding the write lock the ledger's group commit needs (see docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from affidavit.store import Database

__all__ = ["service_write"]


@contextmanager
def service_write(db: Database) -> Iterator[Connection]:
    """An exclusive write transaction whose commit does not wait for a disk sync."""
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            raw = conn.connection.driver_connection
            assert raw is not None
            # Outside any transaction: SQLite refuses to change it inside one.
            raw.execute("PRAGMA synchronous=NORMAL")
            try:
                with db.transaction(conn):
                    yield conn
            finally:
                try:
                    raw.execute("PRAGMA synchronous=FULL")  # the pool's connections stay FULL
                except Exception:
                    conn.invalidate()  # never back into the pool relaxed
                    raise
        else:
            with db.transaction(conn) as locked:
                locked.exec_driver_sql("SET LOCAL synchronous_commit = off")
                yield locked
