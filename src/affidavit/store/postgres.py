"""PostgreSQL specifics: the write lock, durable commits, and refusing unsafe servers.

Every write transaction on PostgreSQL starts with one statement that

- takes a **transaction-scoped** advisory lock (``pg_advisory_xact_lock``), so
  writers in every process on every API node take turns; it is released by
  COMMIT or ROLLBACK, never held by an idle session, which is what makes it
  safe behind PgBouncer in transaction mode. The key is derived from the OID of
  the ``ledger_entries`` table the search path resolves to, so two ledgers in
  two schemas of one database (per-tenant logs) never wait for each other;
- sets ``synchronous_commit`` to ``on`` for this transaction (``SET LOCAL``)
  unless it is already ``on`` or the stronger ``remote_apply``: whatever a role,
  database or session says, COMMIT returns only once the commit record is
  flushed to disk (and to the synchronous standbys, if any are configured).

Write transactions run in READ COMMITTED whatever the server default, so the
first statement after the lock sees every commit made before the lock was
granted (a REPEATABLE READ snapshot would be taken before waiting for it).

:func:`postgres_engine` refuses a server running with ``fsync = off``: there
an acknowledged entry would not survive a crash of the server.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from affidavit.errors import ConfigError, StorageError

__all__ = ["READ_OPTIONS", "WRITE_ISOLATION", "begin_write", "postgres_engine"]

WRITE_ISOLATION = "READ COMMITTED"
READ_OPTIONS: dict[str, object] = {
    "isolation_level": "REPEATABLE READ",
    "postgresql_readonly": True,
}
"""Reads see one snapshot and cannot write by mistake."""

_LOCK_NAMESPACE = 0x41464644  # "AFFD": the upper 32 bits of every Affidavit lock key

# One round trip per write transaction. ``to_regclass`` is NULL before the
# first migration created the table; the schema-less key 0 then serialises
# concurrent `affidavit db upgrade` runs on an empty database.
_BEGIN_WRITE = (
    "SELECT pg_advisory_xact_lock("
    f"({_LOCK_NAMESPACE}::bigint << 32) "
    "| coalesce(to_regclass('ledger_entries')::oid::bigint, 0)), "
    "set_config('synchronous_commit', "
    "CASE current_setting('synchronous_commit') WHEN 'remote_apply' THEN 'remote_apply' "
    "ELSE 'on' END, true)"
)


def begin_write(conn: Connection) -> None:
    """Inside a fresh transaction: take the write lock and make the commit durable."""
    conn.exec_driver_sql(_BEGIN_WRITE)


def postgres_engine(url: URL, pool_size: int) -> Engine:
    """An engine for ``postgresql+psycopg://...``; refuses a server without fsync."""
    where = url.render_as_string(hide_password=True)
    try:
        engine = create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size)
    except ImportError as exc:
        raise ConfigError(
            f"PostgreSQL needs the psycopg driver ({exc}); install it with "
            "pip install 'affidavit[postgres]'"
        ) from None
    try:
        with engine.connect() as conn:
            fsync = conn.exec_driver_sql("SHOW fsync").scalar()
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StorageError(f"cannot connect to PostgreSQL at {where}: {reason}") from exc
    if fsync != "on":
        engine.dispose()
        raise ConfigError(
            f"the PostgreSQL server at {where} runs with fsync = {fsync}: acknowledged ledger "
            "entries would not survive a crash; turn fsync on in postgresql.conf"
        )
    return engine
