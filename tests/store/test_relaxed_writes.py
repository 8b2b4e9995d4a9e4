"""Writes that skip their own disk sync (``Database.write(durable=False)``, for the
service's bookkeeping): under the write lock, and never leaving a relaxed connection in
the pool."""

from __future__ import annotations

import pytest

from affidavit.ledger.log import Ledger


def _sync_setting(conn: object, dialect: str) -> str:
    sql = "PRAGMA synchronous" if dialect == "sqlite" else "SHOW synchronous_commit"
    return str(conn.exec_driver_sql(sql).scalar())  # type: ignore[attr-defined]


def test_a_relaxed_write_skips_its_sync_and_the_pool_stays_durable(ledger: Ledger) -> None:
    db = ledger.db
    relaxed, durable = ("1", "2") if db.dialect == "sqlite" else ("off", "on")
    used = set()
    with db.write(durable=False) as conn:
        assert _sync_setting(conn, db.dialect) == relaxed
        used.add(id(conn.connection.driver_connection))

    def fail() -> None:
        with db.write(durable=False) as conn:
            used.add(id(conn.connection.driver_connection))
            raise RuntimeError("a failed write")

    with pytest.raises(RuntimeError):
        fail()
    # The pooled connections those writes used are back to full durability.
    seen = set()
    for _ in range(40):
        with db.write() as conn:
            assert _sync_setting(conn, db.dialect) == durable
            seen.add(id(conn.connection.driver_connection))
        if used <= seen:
            break
    assert used <= seen
    ledger.verify()
