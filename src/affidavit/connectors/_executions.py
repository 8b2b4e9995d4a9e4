"""The execution record that makes every connector idempotent.

An execution is *claimed* by inserting its id into ``connector_executions``;
the primary key lets exactly one caller win, however many ask at once. For a
simulated connector the claim, the state change and the result are one
transaction, so they commit together or not at all. A connector that calls
an outside system (the webhook) commits the claim first, makes the call, then
records the result; if the process dies in between, the execution stays
claimed without a result and is never sent again — unless the connector
checks the far side's state before it acts (the vendor connectors do): such a
connector may *resume* a claim left without a result for longer than its
lease, because the check tells it whether the first attempt took effect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from affidavit import canonical
from affidavit.connectors._checks import utc_iso
from affidavit.connectors._tables import connector_executions
from affidavit.connectors.request import ActionRequest, ActionResult
from affidavit.errors import Conflict, StorageError
from affidavit.store.engine import Database

__all__ = ["claim", "finish", "run_once"]

Apply = Callable[[Connection, float], ActionResult]
_T = connector_executions


def run_once(
    db: Database, connector: str, request: ActionRequest, apply: Apply, now: float
) -> ActionResult:
    """Run ``apply`` once for ``request.execution_id``; later calls get the stored result."""
    try:
        with db.write() as conn:
            if not _claim(conn, connector, request, now):
                return _stored(conn, connector, request)
            result = apply(conn, now)
            _record(conn, request.execution_id, result, now)
            return result
    except SQLAlchemyError as exc:
        raise _storage_error(connector, exc) from exc


def claim(
    db: Database,
    connector: str,
    request: ActionRequest,
    now: float,
    *,
    resume_after_s: float | None = None,
) -> ActionResult | None:
    """Claim the execution (committed); None if it is ours to run, else the stored result.

    With ``resume_after_s``, a claim of the same action left without a result
    for that long (its process died mid-call) is taken over instead of refused.
    """
    try:
        with db.write() as conn:
            if _claim(conn, connector, request, now):
                return None
            if resume_after_s is not None and _resume(
                conn, connector, request, now, resume_after_s
            ):
                return None
            return _stored(conn, connector, request)
    except SQLAlchemyError as exc:
        raise _storage_error(connector, exc) from exc


def finish(
    db: Database, connector: str, execution_id: str, result: ActionResult, now: float
) -> None:
    """Record the result of an execution claimed with :func:`claim`."""
    try:
        with db.write() as conn:
            _record(conn, execution_id, result, now)
    except SQLAlchemyError as exc:
        raise StorageError(
            f"connector {connector} made its call for execution {execution_id} but could not "
            f"record the result ({exc.__class__.__name__}); the execution stays claimed and "
            "will not be sent again."
        ) from exc


def _claim(conn: Connection, connector: str, request: ActionRequest, now: float) -> bool:
    """Insert the execution row unless its id exists; True if this call inserted it."""
    on_postgres = conn.dialect.name == "postgresql"
    dialect: Any = postgresql if on_postgres else sqlite
    statement = (
        dialect.insert(_T)
        .values(
            execution_id=request.execution_id,
            connector=connector,
            action=request.action,
            action_hash=request.action_hash,
            result=None,
            created_at=utc_iso(now),
        )
        .on_conflict_do_nothing(index_elements=[_T.c.execution_id])
    )
    if on_postgres:
        # psycopg does not report a row count for ON CONFLICT DO NOTHING; RETURNING
        # yields the row only when it was inserted.
        return conn.execute(statement.returning(_T.c.execution_id)).first() is not None
    # SQLite reports it (RETURNING would need SQLite 3.35).
    return bool(conn.execute(statement).rowcount == 1)


def _resume(
    conn: Connection, connector: str, request: ActionRequest, now: float, lease_s: float
) -> bool:
    """Take over a stale claim of this very action; True if this call took it."""
    row = conn.execute(select(_T).where(_T.c.execution_id == request.execution_id)).one()
    same = (row.connector, row.action, row.action_hash) == (
        connector,
        request.action,
        request.action_hash,
    )
    if not same or row.result is not None or row.created_at > utc_iso(now - lease_s):
        return False
    # Conditional on the old claim time: of two processes resuming at once, one wins.
    taken = conn.execute(
        update(_T)
        .where(
            _T.c.execution_id == request.execution_id,
            _T.c.result.is_(None),
            _T.c.created_at == row.created_at,
        )
        .values(created_at=utc_iso(now))
    )
    return bool(taken.rowcount == 1)


def _stored(conn: Connection, connector: str, request: ActionRequest) -> ActionResult:
    row = conn.execute(select(_T).where(_T.c.execution_id == request.execution_id)).one()
    if (row.connector, row.action, row.action_hash) != (
        connector,
        request.action,
        request.action_hash,
    ):
        raise Conflict(
            f"execution id {request.execution_id} was already used for {row.action} through "
            f"connector {row.connector}; an execution id is never reused for another action."
        )
    if row.result is None:
        raise Conflict(
            f"execution {request.execution_id} was started before and has no recorded result "
            "(it is still running or was interrupted); it will not be run again."
        )
    return ActionResult.from_json(canonical.decode(row.result))


def _record(conn: Connection, execution_id: str, result: ActionResult, now: float) -> None:
    conn.execute(
        update(_T)
        .where(_T.c.execution_id == execution_id)
        .values(result=canonical.encode(result.to_json()).decode(), finished_at=utc_iso(now))
    )


def _storage_error(connector: str, exc: SQLAlchemyError) -> StorageError:
    return StorageError(
        f"connector {connector} could not record its execution in the database "
        f"({exc.__class__.__name__}); nothing was acknowledged: {str(exc).splitlines()[0][:200]}"
    )
