"""Opening the database: SQLite (default) or PostgreSQL, safely.

SQLite runs in WAL mode with ``synchronous=FULL``: every commit syncs the WAL,
so an acknowledged write survives power loss, not only a process crash
(``NORMAL`` would only survive the latter). On PostgreSQL every write
transaction forces ``synchronous_commit = on`` and a server with ``fsync = off``
is refused (see :mod:`affidavit.store.postgres`). All writes go through
:meth:`Database.write`, which takes the database's single write lock
(``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped advisory lock on
PostgreSQL), so several processes and API nodes never interleave ledger appends.
Reads see one snapshot (a read transaction on SQLite WAL, REPEATABLE READ READ
ONLY on PostgreSQL).

Before anything is written, :func:`open_database` checks that the database is
empty or already Affidavit's; any other database is refused untouched.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from affidavit.errors import ConfigError, StorageError
from affidavit.store import postgres

__all__ = ["Database", "insert_ignore", "open_database"]

SCHEMA_MARKER = "affidavit"
_MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 60_000


class Database:
    """A connection pool plus the rules for reading and writing."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[Connection]:
        """An exclusive write transaction; commits on success, rolls back on error.

        ``durable=False`` commits without waiting for the disk (SQLite
        ``synchronous=NORMAL``, PostgreSQL ``synchronous_commit=off``). The commit
        becomes durable with the next durable one, since the WAL is one sequential
        file, and a crash loses only such commits made after the last durable one.
        For bookkeeping that a lost tail cannot make wrong: the API's idempotency
        records, written around a ledger write that is durable.
        """
        with self.engine.connect() as conn:
            raw = None
            if not durable and self.dialect == "sqlite":
                # only outside a transaction: SQLite refuses to change it inside one
                raw = conn.connection.dbapi_connection
                assert raw is not None
                raw.execute("PRAGMA synchronous=NORMAL")
            try:
                with self.transaction(conn) as tx:
                    if not durable and self.dialect == "postgresql":
                        tx.exec_driver_sql("SET LOCAL synchronous_commit = off")
                    yield tx
            finally:
                if raw is not None:
                    try:
                        raw.execute("PRAGMA synchronous=FULL")
                    except Exception:
                        conn.invalidate()  # never back into the pool relaxed
                        raise

    @contextmanager
    def transaction(self, conn: Connection) -> Iterator[Connection]:
        """An exclusive write transaction on a connection the caller keeps open.

        The ledger's writer thread holds one connection for its lifetime and
        runs one of these per group commit.
        """
        if self.dialect == "postgresql":
            conn = conn.execution_options(isolation_level=postgres.WRITE_ISOLATION)
        else:
            conn = conn.execution_options(affidavit_begin="IMMEDIATE")
        with conn.begin():
            if self.dialect == "postgresql":
                postgres.begin_write(conn)
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction: a consistent snapshot on both backends."""
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                conn = conn.execution_options(**postgres.READ_OPTIONS)
            with conn.begin():
                yield conn

    def purge_freed_pages(self) -> None:
        """After an erasure: fold the WAL into the database and truncate it, so
        overwritten pages (secure_delete) leave no old copies in the WAL file."""
        if self.dialect == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.engine.dispose()


def insert_ignore(conn: Connection, table: Table, values: dict[str, Any]) -> None:
    """INSERT that does nothing when the primary key exists, on either backend."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    conn.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())


# Every concurrent caller holds a connection for a read, and the ledger writer
# keeps one: a pool smaller than the callers would open and close connections
# (and re-run the PRAGMAs below) on every request.
POOL_SIZE = 32


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_SIZE)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that
        # "BEGIN IMMEDIATE" below is the only BEGIN sent.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        # Erased evidence is overwritten on disk, not left in free pages.
        cur.execute("PRAGMA secure_delete=ON")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("affidavit_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _create_private(path: Path) -> None:
    """Create the database file owner-only (0600) before SQLite does: SQLite creates
    the ``-wal`` and ``-shm`` files with the database file's permissions."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigError(f"cannot create database file {path}: {exc}") from exc


def _check_sqlite_file(path: Path) -> None:
    """Refuse a file that is not an empty or Affidavit SQLite database, read-only."""
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ConfigError(f"cannot open database {path}: {exc}") from exc
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        _check_tables(str(path), names, conn.execute)
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"{path} is not an SQLite database ({exc}); refusing to use it") from exc
    finally:
        conn.close()


def _check_tables(where: str, names: set[str], execute: Any) -> None:
    if not names:
        return
    if "affidavit_meta" not in names:
        shown = ", ".join(sorted(names)[:5])
        raise ConfigError(
            f"database {where} is not an Affidavit database (it has tables {shown} "
            "but no affidavit_meta); refusing to write to it"
        )
    marker = list(execute("SELECT value FROM affidavit_meta WHERE key = 'schema'"))
    if not marker or marker[0][0] != SCHEMA_MARKER:
        raise ConfigError(f"database {where} has an affidavit_meta table without our marker")


def _alembic_config(conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config(None)).get_current_head()  # type: ignore[arg-type]
    if head is None:
        raise ConfigError("no database migrations are packaged with Affidavit")
    return head


def _revision(db: Database, conn: Connection) -> str | None:
    """The schema's revision; refuses a database that is not empty and not ours."""
    names = set(inspect(conn).get_table_names())
    _check_tables(db.engine.url.render_as_string(hide_password=True), names, _run(conn))
    if "alembic_version" not in names:
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(db: Database) -> None:
    """Bring the schema to the newest revision (``affidavit db upgrade``)."""
    head = head_revision()
    # Opening a current database only reads: no write lock for every process
    # start, and read-only connections (a hot standby for verification) work.
    with db.read() as conn:
        if _revision(db, conn) == head:
            return
    with db.write() as conn:
        names = set(inspect(conn).get_table_names())
        if _revision(db, conn) == head:  # another process upgraded meanwhile
            return
        command.upgrade(_alembic_config(conn), "head")
        if "affidavit_meta" not in names:
            conn.execute(
                text("INSERT INTO affidavit_meta (key, value) VALUES ('schema', :v)"),
                {"v": SCHEMA_MARKER},
            )


def _run(conn: Connection) -> Any:
    return lambda sql: conn.execute(text(sql)).all()


def open_database(url: str, *, migrate: bool = True) -> Database:
    """Open ``url``; create the schema in an empty database; refuse foreign ones."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"invalid database URL: {exc}") from None
    try:
        db = _connect(parsed)
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot open database: {exc.__class__.__name__}: {exc}") from exc
    try:
        if migrate:
            upgrade(db)
    except BaseException as exc:
        db.close()  # a refused or failed open leaves no pooled connection behind
        if isinstance(exc, SQLAlchemyError):
            raise StorageError(f"cannot open database: {exc.__class__.__name__}: {exc}") from exc
        raise
    return db


def _connect(parsed: URL) -> Database:
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ConfigError("an in-memory SQLite database cannot hold a durable ledger")
        path = Path(parsed.database)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _create_private(path)
        _check_sqlite_file(path)
        return Database(_sqlite_engine(parsed.render_as_string(hide_password=False)))
    if backend == "postgresql":
        # verify.py streams through psycopg's server-side cursors: psycopg 3 only.
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        if parsed.drivername != "postgresql+psycopg":
            raise ConfigError(
                f"unsupported PostgreSQL driver {parsed.drivername!r}: "
                "use a postgresql+psycopg://... URL"
            )
        return Database(postgres.postgres_engine(parsed, POOL_SIZE))
    raise ConfigError(f"unsupported database {backend!r}: use sqlite or postgresql")
