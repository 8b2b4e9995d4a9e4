"""The notifier's own state: ``AFFIDAVIT_HOME/notify.db``, a small SQLite file.

It holds the ledger cursor (the next entry to read), the outbox of deliveries
(one row per event and channel, unique on ``(entry seq, event kind, channel)``
so an entry read twice is queued once), the schedule of clock-driven checks
(nearing expiry, overdue reviews) and each channel's digest and retry pause.

It is a separate file, not tables in the ledger's database, on purpose: the
notifier then only ever *reads* the ledger database (snapshot reads never wait
for the ledger's writer), and its own writes (cursor moves, attempt counters)
never take the ledger database's single write lock that every proposal and
approval needs. Nothing here is evidence: losing the file costs at most
repeated notifications for requests that are still open.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, create_engine, event, func, select, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.exc import SQLAlchemyError

from affidavit.clock import iso
from affidavit.errors import ConfigError, StorageError
from affidavit.notify._schema import SCHEMA_VERSION, Delivery, Schedule, row_to_delivery
from affidavit.notify._schema import channels as _channels
from affidavit.notify._schema import cursor as _cursor
from affidavit.notify._schema import deliveries as _deliveries
from affidavit.notify._schema import meta as _meta
from affidavit.notify._schema import schedules as _schedules
from affidavit.notify._time import parse_time
from affidavit.notify.config import RetryPolicy
from affidavit.notify.events import Event

__all__ = ["STATE_FILE", "Delivery", "NotifyState", "Schedule"]

STATE_FILE = "notify.db"


class NotifyState:
    """Open (creating if needed) the state file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._engine = create_engine(f"sqlite:///{path}")
        event.listen(self._engine, "connect", _pragmas)
        try:
            with self._engine.begin() as conn:
                version = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
                if version > SCHEMA_VERSION:
                    raise ConfigError(
                        f"{path} was written by a newer Affidavit (state version {version})."
                    )
                _meta.create_all(conn)
                conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
                if conn.execute(select(_cursor.c.next_seq)).first() is None:
                    conn.execute(_cursor.insert().values(id=1, next_seq=0))
        except SQLAlchemyError as exc:
            self._engine.dispose()
            raise StorageError(
                f"cannot open notification state {path}: {type(exc).__name__}"
            ) from exc
        except BaseException:
            self._engine.dispose()
            raise

    @classmethod
    def open(cls, home: Path) -> NotifyState:
        return cls(home / STATE_FILE)

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        try:
            with self._engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StorageError(f"notification state {self.path}: {type(exc).__name__}") from exc

    # -- the ledger cursor and what it yields ---------------------------------

    def cursor(self) -> int:
        with self._tx() as conn:
            return int(conn.execute(select(_cursor.c.next_seq)).scalar_one())

    def record_scan(
        self,
        next_seq: int,
        deliveries: Iterable[tuple[Event, str]],
        schedules: Iterable[Schedule],
        now: datetime,
    ) -> int:
        """Queue deliveries and schedules found up to ``next_seq`` and move the cursor,
        in one transaction; returns how many deliveries were new."""
        rows = [
            dict(
                seq=s.event.seq,
                kind=s.event.kind,
                role=s.role,
                due_at=s.due_at,
                event=json.dumps(s.event.to_json()),
            )
            for s in schedules
        ]
        with self._tx() as conn:
            added = self._queue(conn, deliveries, now)
            _insert_ignore(conn, _schedules, rows)
            conn.execute(update(_cursor).values(next_seq=next_seq))
            return added

    def _queue(
        self, conn: Connection, deliveries: Iterable[tuple[Event, str]], now: datetime
    ) -> int:
        at = iso(now)
        rows = [
            dict(
                seq=ev.seq,
                kind=ev.kind,
                channel=channel,
                proposal=ev.proposal,
                event=json.dumps(ev.to_json()),
                status="pending",
                attempts=0,
                next_attempt_at=at,
                created_at=at,
                via_digest=0,
            )
            for ev, channel in deliveries
        ]
        return _insert_ignore(conn, _deliveries, rows)

    def due_schedules(self, now: datetime, limit: int = 1000) -> list[Schedule]:
        s = _schedules
        q = (
            select(s.c.event, s.c.role, s.c.due_at)
            .where(s.c.done_at.is_(None), s.c.due_at <= iso(now))
            .order_by(s.c.due_at)
            .limit(limit)
        )
        with self._tx() as conn:
            rows = conn.execute(q).all()
        return [Schedule(Event.from_json(json.loads(r.event)), r.role, r.due_at) for r in rows]

    def finish_schedule(
        self,
        schedule: Schedule,
        outcome: str,
        deliveries: Sequence[tuple[Event, str]],
        now: datetime,
    ) -> int:
        s = _schedules
        with self._tx() as conn:
            added = self._queue(conn, deliveries, now)
            conn.execute(
                update(s)
                .where(
                    s.c.seq == schedule.event.seq,
                    s.c.kind == schedule.event.kind,
                    s.c.role == schedule.role,
                )
                .values(done_at=iso(now), outcome=outcome)
            )
            return added

    # -- deliveries ------------------------------------------------------------

    def channels_due(self, now: datetime) -> list[str]:
        d = _deliveries
        q = (
            select(d.c.channel)
            .where(d.c.status == "pending", d.c.next_attempt_at <= iso(now))
            .group_by(d.c.channel)
            .order_by(d.c.channel)
        )
        with self._tx() as conn:
            return [r[0] for r in conn.execute(q)]

    def due(self, channel: str, now: datetime, limit: int) -> list[Delivery]:
        d = _deliveries
        q = (
            select(d)
            .where(d.c.status == "pending", d.c.channel == channel, d.c.next_attempt_at <= iso(now))
            .order_by(d.c.id)
            .limit(limit)
        )
        with self._tx() as conn:
            return [row_to_delivery(r) for r in conn.execute(q)]

    def recent(self, channel: str, since: datetime) -> int:
        """Deliveries for ``channel`` queued after ``since``, less those dropped unsent."""
        d = _deliveries
        q = select(func.count()).where(
            d.c.channel == channel, d.c.created_at > iso(since), d.c.status != "dropped"
        )
        with self._tx() as conn:
            return int(conn.execute(q).scalar_one())

    def mark_sent(self, ids: Sequence[int], now: datetime, *, via_digest: bool) -> None:
        self._set(ids, status="sent", done_at=iso(now), via_digest=int(via_digest), last_error=None)

    def mark_dropped(self, ids: Sequence[int], reason: str, now: datetime) -> None:
        self._set(ids, status="dropped", done_at=iso(now), last_error=reason)

    def mark_failed(
        self, deliveries: Sequence[Delivery], error: str, now: datetime, retry: RetryPolicy
    ) -> datetime:
        """Count an attempt on each; retry after the backoff, or give up after the last
        attempt. Returns when the earliest retry is due (``now`` if none will be)."""
        earliest: datetime | None = None
        d = _deliveries
        with self._tx() as conn:
            for item in deliveries:
                attempts = item.attempts + 1
                gave_up = attempts >= retry.max_attempts
                retry_at = now + timedelta(seconds=retry.delay_s(attempts))
                earliest = retry_at if earliest is None else min(earliest, retry_at)
                conn.execute(
                    update(d)
                    .where(d.c.id == item.id)
                    .values(
                        attempts=attempts,
                        last_error=error,
                        status="failed" if gave_up else "pending",
                        next_attempt_at=iso(retry_at),
                        done_at=iso(now) if gave_up else None,
                    )
                )
        return earliest or now

    def _set(self, ids: Sequence[int], **values: Any) -> None:
        if ids:
            with self._tx() as conn:
                conn.execute(
                    update(_deliveries).where(_deliveries.c.id.in_(list(ids))).values(**values)
                )

    def deliveries(self, statuses: Sequence[str], limit: int = 1000) -> list[Delivery]:
        d = _deliveries
        q = select(d).where(d.c.status.in_(list(statuses))).order_by(d.c.id).limit(limit)
        with self._tx() as conn:
            return [row_to_delivery(r) for r in conn.execute(q)]

    def counts(self) -> dict[str, int]:
        d = _deliveries
        with self._tx() as conn:
            rows = conn.execute(select(d.c.status, func.count()).group_by(d.c.status)).all()
        return {status: int(n) for status, n in rows}

    # -- channels ----------------------------------------------------------------

    def channel(self, name: str) -> tuple[datetime | None, datetime | None]:
        """When ``name`` last got a digest, and until when it is paused after a failure."""
        c = _channels
        with self._tx() as conn:
            row = conn.execute(select(c).where(c.c.name == name)).first()
        if row is None:
            return None, None
        return _time(row.last_digest_at), _time(row.paused_until)

    def set_channel(self, name: str, **values: datetime | None) -> None:
        c = _channels
        text = {k: None if v is None else iso(v) for k, v in values.items()}
        with self._tx() as conn:
            _insert_ignore(conn, c, [{"name": name}])
            conn.execute(update(c).where(c.c.name == name).values(**text))

    def paused_channels(self, now: datetime) -> dict[str, str]:
        c = _channels
        with self._tx() as conn:
            rows = conn.execute(
                select(c.c.name, c.c.paused_until).where(c.c.paused_until > iso(now))
            )
            return {r.name: r.paused_until for r in rows}


def _time(text: str | None) -> datetime | None:
    return None if text is None else parse_time(text)


def _insert_ignore(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    """INSERT each row unless one with the same unique key exists; how many were new."""
    if not rows:
        return 0
    return int(conn.execute(insert(table).on_conflict_do_nothing(), rows).rowcount)


def _pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
