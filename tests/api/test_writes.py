"""Service-table writes: under the write lock, without their own disk sync, and never
leaving a relaxed connection in the pool."""

from __future__ import annotations

import pytest

from affidavit.api._writes import service_write
from affidavit.ledger.log import Ledger


def _sync_setting(conn: object, dialect: str) -> str:
    sql = "PRAGMA synchronous" if dialect == "sqlite" else "SHOW synchronous_commit"
    return str(conn.exec_driver_sql(sql).scalar())  # type: ignore[attr-defined]


def test_a_service_write_skips_its_own_sync_and_the_pool_stays_durable(ledger: Ledger) -> None:
    db = ledger.db
    relaxed, durable = ("1", "2") if db.dialect == "sqlite" else ("off", "on")
    used = set()
    with service_write(db) as conn:
        assert _sync_setting(conn, db.dialect) == relaxed
        used.add(id(conn.connection.driver_connection))

    def fail() -> None:
        with service_write(db) as conn:
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
