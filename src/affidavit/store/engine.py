"""Opening the database: SQLite (default) or PostgreSQL, safely.

SQLite runs in WAL mode with ``synchronous=FULL``: every commit syncs the WAL,
so an acknowledged write survives power loss, not only a process crash
(``NORMAL`` would only survive the latter). All writes go through
:meth:`Database.write`, which takes the database's single write lock
(``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped advisory lock on
PostgreSQL), so several processes never interleave ledger appends.

Before anything is written, :func:`open_database` checks that the database is
empty or already Affidavit's; any other database is refused untouched.
"""

from __future__ import annotations

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
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from affidavit.errors import ConfigError, StorageError

__all__ = ["Database", "insert_ignore", "open_database"]

SCHEMA_MARKER = "affidavit"
_MIGRATIONS = Path(__file__).parent / "migrations"
_PG_WRITE_LOCK = 0x41464644  # "AFFD": the advisory lock key for ledger writes
SQLITE_BUSY_TIMEOUT_MS = 60_000


class Database:
    """A connection pool plus the rules for reading and writing."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """An exclusive write transaction; commits on success, rolls back on error."""
        with self.engine.connect() as conn, self.transaction(conn):
            yield conn

    @contextmanager
    def transaction(self, conn: Connection) -> Iterator[Connection]:
        """An exclusive write transaction on a connection the caller keeps open.

        The ledger's writer thread holds one connection for its lifetime and
        runs one of these per group commit.
        """
        conn = conn.execution_options(affidavit_begin="IMMEDIATE")
        with conn.begin():
            if self.dialect == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_WRITE_LOCK})")
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction: a consistent snapshot on both backends."""
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def close(self) -> None:
        self.engine.dispose()


def insert_ignore(conn: Connection, table: Table, values: dict[str, Any]) -> None:
    """INSERT that does nothing when the primary key exists, on either backend."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    conn.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that
        # "BEGIN IMMEDIATE" below is the only BEGIN sent.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("affidavit_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


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


def upgrade(db: Database) -> None:
    """Bring the schema to the newest revision (``affidavit db upgrade``)."""
    head = head_revision()
    with db.write() as conn:
        names = set(inspect(conn).get_table_names())
        _check_tables(db.engine.url.render_as_string(hide_password=True), names, _run(conn))
        current = None
        if "alembic_version" in names:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if current == head:
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
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            if parsed.database in (None, "", ":memory:"):
                raise ConfigError("an in-memory SQLite database cannot hold a durable ledger")
            path = Path(parsed.database)
            path.parent.mkdir(parents=True, exist_ok=True)
            _check_sqlite_file(path)
            db = Database(_sqlite_engine(url))
        elif backend == "postgresql":
            db = Database(create_engine(url, pool_pre_ping=True))
        else:
            raise ConfigError(f"unsupported database {backend!r}: use sqlite or postgresql")
        if migrate:
            upgrade(db)
        return db
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot open database: {exc.__class__.__name__}: {exc}") from exc
