"""Opening databases on either backend: migrations, concurrent first use, bad URLs."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from affidavit.errors import ConfigError, StorageError
from affidavit.store import open_database
from affidavit.store.engine import head_revision


def test_concurrent_upgrades_of_an_empty_database_create_one_schema(
    home: Path, database_url: str
) -> None:
    env = dict(os.environ, AFFIDAVIT_HOME=str(home), AFFIDAVIT_DATABASE_URL=database_url)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "affidavit", "db", "upgrade"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out == f"database at revision {head_revision()}\n"
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
            head_revision()
        ]
        assert conn.execute(text("SELECT key, value FROM affidavit_meta")).all() == [
            ("schema", "affidavit")
        ]
    engine.dispose()


def test_unreachable_postgresql_is_one_line_without_the_password() -> None:
    with pytest.raises(StorageError) as caught:
        open_database("postgresql+psycopg://someone:s3cret@127.0.0.1:1/affidavit")
    message = str(caught.value)
    assert message.startswith("cannot connect to PostgreSQL at postgresql+psycopg://someone:***@")
    assert "s3cret" not in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "driver", ["postgresql+psycopg2", "postgresql+asyncpg", "postgresql+pg8000"]
)
def test_other_postgresql_drivers_are_refused(driver: str) -> None:
    with pytest.raises(ConfigError, match=r"use a postgresql\+psycopg://"):
        open_database(f"{driver}://someone@127.0.0.1:1/affidavit")


def test_home_and_database_files_are_owner_only(home: Path) -> None:
    """SQLite-only: file permission bits. The home is created 0700 and the database,
    its WAL and shared-memory files 0600, whatever the umask lets others read."""
    from affidavit.config import load_settings
    from affidavit.ledger.entry import Entry
    from affidavit.ledger.log import Ledger

    old_umask = os.umask(0o022)
    try:
        with Ledger.open(load_settings()) as ledger:
            ledger.append(Entry(type="test.entry", actor="agent:a", body={}))
            files = ["affidavit.db", "affidavit.db-wal", "affidavit.db-shm"]
            modes = {name: stat.S_IMODE((home / name).stat().st_mode) for name in files}
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert modes == dict.fromkeys(files, 0o600)


def test_a_write_that_need_not_be_durable_commits_and_leaves_durability_on(
    database_url: str,
) -> None:
    """``write(durable=False)`` (the API's idempotency rows) commits without a sync of its
    own; the connection it used syncs every later commit again (SQLite ``synchronous``
    is per connection and survives in the pool; PostgreSQL's setting is SET LOCAL)."""
    db = open_database(database_url)
    try:
        with db.write(durable=False) as conn:
            conn.execute(text("CREATE TABLE scratch_notes (n INTEGER)"))
            conn.execute(text("INSERT INTO scratch_notes VALUES (1)"))
            raw = conn.connection.dbapi_connection
            assert raw is not None
            if db.dialect == "postgresql":
                assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
            else:
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        if db.dialect == "sqlite":  # the same connection, back in the pool: FULL again
            assert raw.execute("PRAGMA synchronous").fetchone()[0] == 2
        with db.write() as conn:
            if db.dialect == "postgresql":
                assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
            assert conn.execute(text("SELECT n FROM scratch_notes")).scalar() == 1
    finally:
        db.close()
