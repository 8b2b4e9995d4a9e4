"""PostgreSQL specifics: durable commits, isolation levels, the per-ledger write lock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from affidavit.config import Settings
from affidavit.errors import StorageError
from affidavit.ledger.entry import Entry
from affidavit.ledger.log import Ledger
from affidavit.ledger.verify import verify_ledger
from affidavit.store import Database, open_database
from affidavit.store.engine import head_revision
from tests.conftest import POSTGRES_URL, schema_url

AFFD = 0x41464644


@pytest.fixture
def open_on(postgres_schema: str) -> Iterator[object]:
    """Open the test's schema with extra server settings in the URL; closes them all."""
    opened: list[Database] = []

    def open_with(**server_settings: str) -> Database:
        assert POSTGRES_URL is not None
        db = open_database(schema_url(POSTGRES_URL, postgres_schema, **server_settings))
        opened.append(db)
        return db

    yield open_with
    for db in opened:
        db.close()


def _setting(db: Database, name: str, *, write: bool) -> str:
    with db.write() if write else db.read() as conn:
        return str(conn.execute(text("SELECT current_setting(:n)"), {"n": name}).scalar_one())


@pytest.mark.parametrize(
    ("session", "in_writes"),
    [
        ("off", "on"),
        ("local", "on"),
        ("remote_write", "on"),
        ("on", "on"),
        ("remote_apply", "remote_apply"),
    ],
)
def test_writes_commit_synchronously_whatever_the_session_says(
    open_on: object, session: str, in_writes: str
) -> None:
    db = open_on(synchronous_commit=session)  # type: ignore[operator]
    assert _setting(db, "synchronous_commit", write=True) == in_writes
    # SET LOCAL: the session's own value is untouched outside write transactions.
    assert _setting(db, "synchronous_commit", write=False) == session


def test_writes_read_committed_reads_one_read_only_snapshot(open_on: object) -> None:
    db = open_on(default_transaction_isolation="serializable")  # type: ignore[operator]
    # The lock is granted after the first statement's snapshot: writes must not
    # run on one snapshot, whatever the server default.
    assert _setting(db, "transaction_isolation", write=True) == "read committed"
    assert _setting(db, "transaction_isolation", write=False) == "repeatable read"
    assert _setting(db, "transaction_read_only", write=False) == "on"
    with pytest.raises(DBAPIError, match="read-only transaction"), db.read() as conn:
        conn.execute(text("INSERT INTO affidavit_meta (key, value) VALUES ('x', 'y')"))
    assert _setting(db, "transaction_read_only", write=True) == "off"  # pool reset it


def _waiting_on_advisory_lock(admin: Engine, pid: int) -> bool:
    with admin.connect() as conn:
        query = (
            "SELECT count(*) FROM pg_locks WHERE pid = :p AND locktype = 'advisory' AND NOT granted"
        )
        return bool(conn.execute(text(query), {"p": pid}).scalar_one())


def test_the_write_lock_is_per_ledger_and_transaction_scoped(
    postgres_admin: Engine, postgres_schema: str
) -> None:
    assert POSTGRES_URL is not None
    other = f"{postgres_schema}_b"
    with postgres_admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {other}"))
    holder = open_database(schema_url(POSTGRES_URL, postgres_schema))
    waiter = open_database(schema_url(POSTGRES_URL, postgres_schema))
    # A hang here would mean the other ledger shares our lock: fail, do not wait.
    neighbour = open_database(schema_url(POSTGRES_URL, other, lock_timeout="10s"))
    try:
        entered = threading.Event()
        waiter_pid: list[int] = []

        def second_writer() -> None:
            with waiter.engine.connect() as conn:
                waiter_pid.append(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
                conn.rollback()  # end the autobegun transaction before the write one
                with waiter.transaction(conn):
                    entered.set()

        with holder.write() as conn:
            oid = conn.execute(text("SELECT 'ledger_entries'::regclass::oid")).scalar_one()
            held = conn.execute(
                text(
                    "SELECT classid::bigint, objid::bigint, objsubid FROM pg_locks "
                    "WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()"
                )
            ).all()
            assert held == [(AFFD, oid, 1)]  # one bigint key: AFFD << 32 | table OID
            thread = threading.Thread(target=second_writer)
            thread.start()
            while not waiter_pid or not _waiting_on_advisory_lock(postgres_admin, waiter_pid[0]):
                assert thread.is_alive() and not entered.is_set()
                threading.Event().wait(0.01)
            with neighbour.write() as other_conn:  # another schema: not blocked
                assert other_conn.execute(text("SELECT count(*) FROM ledger_entries")).scalar() == 0
            assert not entered.is_set()
        thread.join(timeout=30)
        assert entered.is_set()  # COMMIT released the lock; no session keeps it
        with postgres_admin.connect() as conn:
            left = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :o"
            assert conn.execute(text(left), {"o": oid}).scalar_one() == 0
    finally:
        for db in (holder, waiter, neighbour):
            db.close()
        with postgres_admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {other} CASCADE"))


def test_plain_postgresql_urls_use_psycopg(postgres_schema: str) -> None:
    assert POSTGRES_URL is not None
    url = schema_url(POSTGRES_URL, postgres_schema).replace(
        "postgresql+psycopg://", "postgresql://"
    )
    db = open_database(url)
    try:
        assert db.engine.url.drivername == "postgresql+psycopg"
        with db.read() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                == head_revision()
            )
    finally:
        db.close()


def test_a_read_only_role_verifies_but_cannot_append(
    postgres_admin: Engine, postgres_schema: str, home: Path
) -> None:
    """An auditor's role with SELECT only: opening a current ledger and verifying it
    take no write (as on a hot standby); appending is refused, not half-done."""
    assert POSTGRES_URL is not None
    primary = Settings(home=home, database_url=schema_url(POSTGRES_URL, postgres_schema))
    with Ledger.open(primary) as ledger:
        ledger.append_many(
            [Entry(type="test.entry", actor="agent:a", body={"i": i}) for i in range(3)]
        )
        ledger.checkpoint()
    reader = f"{postgres_schema}_reader"
    with postgres_admin.begin() as conn:
        conn.execute(text(f"CREATE ROLE {reader} LOGIN"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA {postgres_schema} TO {reader}"))
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {postgres_schema} TO {reader}"))
    try:
        url = make_url(primary.database_url).set(username=reader)
        auditor = replace(primary, database_url=url.render_as_string(hide_password=False))
        with Ledger.open(auditor) as ledger:
            assert verify_ledger(ledger.db, ledger.verifier_key, ledger.origin).size == 3
            with pytest.raises(StorageError, match="permission denied"):
                ledger.append(Entry(type="test.entry", actor="agent:a", body={}))
            assert ledger.size() == 3
    finally:
        with postgres_admin.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {reader}"))
            conn.execute(text(f"DROP ROLE {reader}"))
