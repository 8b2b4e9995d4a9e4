"""Console sessions: a random id in a signed cookie, the state in the database.

The cookie holds only ``<session id>.<HMAC-SHA256 of it>``. The row in
``console_sessions`` is keyed by the SHA-256 of the id, and the identity token
the person signed in with is sealed there by the evidence vault: a copy of the
table without the vault key reveals no token, and without the cookie secret no
row (planted or copied) can be reached, since only a signed cookie names one.
Every worker process (``affidavit serve --workers N``, or several servers on one
PostgreSQL database) sees the same sessions, so logout ends a session everywhere.

A session ends at logout, after ``session_ttl_s``, after ``idle_s`` without a
request, and whenever its token no longer authenticates (every request re-checks
it: a revoked token or a suspended person is signed out on their next click).
``last_seen_at`` is written at most once per ``touch_every_s`` per session and
without waiting for the disk: a crash can only make a session look idle sooner.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select

from affidavit.clock import iso, parse_iso
from affidavit.errors import VerificationError
from affidavit.store.engine import Database
from affidavit.store.vault import Vault
from affidavit.web._tables import console_sessions as t

__all__ = ["Session", "SessionStore"]

_ID_BYTES = 32
_ENVELOPE = b"affidavit-console-session\n"
_SALT = 16


@dataclass(frozen=True)
class Session:
    id: str = field(repr=False)
    identity_id: str
    token: str = field(repr=False)
    csrf: str = field(repr=False)
    created_at: datetime


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """Sessions in the database; thread-safe (each call is its own transaction)."""

    def __init__(
        self,
        db: Database,
        vault: Vault,
        secret: str,
        *,
        ttl_s: float,
        idle_s: float,
        max_sessions: int,
        touch_every_s: float = 60.0,
    ) -> None:
        self.db = db
        self.vault = vault
        self._key = hashlib.sha256(b"affidavit-console-cookie\n" + secret.encode()).digest()
        self._ttl = timedelta(seconds=ttl_s)
        self._idle = timedelta(seconds=idle_s)
        self._touch = timedelta(seconds=touch_every_s)
        self._max = max_sessions

    # -- cookies -----------------------------------------------------------

    def _mac(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()

    def cookie_value(self, session: Session) -> str:
        return f"{session.id}.{self._mac(session.id)}"

    def session_id(self, cookie: str | None) -> str | None:
        """The session id of a cookie whose signature verifies; None otherwise."""
        if not cookie or len(cookie) > 200 or "." not in cookie:
            return None
        sid, _, mac = cookie.rpartition(".")
        if not hmac.compare_digest(mac, self._mac(sid)):
            return None
        return sid

    def mac(self, purpose: str, value: str) -> str:
        """A keyed digest for other short-lived values (the login form's CSRF token)."""
        return self._mac(f"{purpose}\n{value}")

    def _csrf(self, session_id: str) -> str:
        # Derived, not stored: every worker computes the same token, the database holds none.
        return self.mac("csrf", session_id)

    # -- sessions ----------------------------------------------------------

    def create(self, identity_id: str, token: str, now: datetime) -> Session:
        sid = secrets.token_urlsafe(_ID_BYTES)
        key = _key(sid)
        created = iso(now)
        plain = os.urandom(_SALT) + _envelope(key, identity_id, created) + token.encode()
        sealed = self.vault.seal(plain)
        row = {
            "key": key,
            "identity_id": identity_id,
            "sha256": sealed.sha256,
            "data": sealed.data,
            "wrapped_key": sealed.wrapped_key,
            "kek_id": sealed.kek_id,
            "created_at": created,
            "last_seen_at": created,
        }
        with self.db.write() as conn:
            conn.execute(t.delete().where(self._stale(now)))
            live = conn.execute(select(func.count()).select_from(t)).scalar_one()
            if live >= self._max:
                # The oldest-idle sessions give way: a flood of logins cannot fill the table.
                oldest = select(t.c.key).order_by(t.c.last_seen_at).limit(live - self._max + 1)
                conn.execute(t.delete().where(t.c.key.in_(oldest.scalar_subquery())))
            conn.execute(t.insert().values(**row))
        return Session(sid, identity_id, token, self._csrf(sid), parse_iso(created))

    def get(self, session_id: str | None, now: datetime, *, touch: bool = True) -> Session | None:
        """The live session, or None; ``touch``: it counts as used now (a person's request,
        not a background re-check)."""
        if session_id is None:
            return None
        key = _key(session_id)
        with self.db.read() as conn:
            row = conn.execute(t.select().where(t.c.key == key)).first()
        if row is None:
            return None
        created, last = parse_iso(row.created_at), parse_iso(row.last_seen_at)
        if now - created >= self._ttl or now - last >= self._idle:
            self._delete(key, durable=False)
            return None
        head = _envelope(key, row.identity_id, row.created_at)
        try:
            plain = self.vault.open(row.sha256, bytes(row.data), bytes(row.wrapped_key), row.kek_id)
        except VerificationError:
            plain = b""
        if not plain[_SALT:].startswith(head):
            # Altered, sealed with another vault key, or moved from another row: not a session.
            self._delete(key, durable=False)
            return None
        token = plain[_SALT + len(head) :].decode("utf-8")
        if touch and now - last >= self._touch:
            with self.db.write(durable=False) as conn:
                conn.execute(
                    t.update()
                    .where(t.c.key == key, t.c.last_seen_at < iso(now))
                    .values(last_seen_at=iso(now))
                )
        return Session(session_id, row.identity_id, token, self._csrf(session_id), created)

    def drop(self, session_id: str | None) -> None:
        """Logout: the row goes, so every worker refuses the cookie from now on."""
        if session_id is not None:
            self._delete(_key(session_id), durable=True)

    def __len__(self) -> int:
        with self.db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(t)).scalar_one())

    def _delete(self, key: str, *, durable: bool) -> None:
        with self.db.write(durable=durable) as conn:
            conn.execute(t.delete().where(t.c.key == key))

    def _stale(self, now: datetime) -> ColumnElement[bool]:
        too_old = t.c.created_at <= iso(now - self._ttl)
        return too_old | (t.c.last_seen_at <= iso(now - self._idle))


def _envelope(key: str, identity_id: str, created_at: str) -> bytes:
    """What the sealed token is bound to: its row's key, person and creation time (a sealed
    token moved to another row, or a row whose created_at was pushed forward, does not open)."""
    return _ENVELOPE + f"{key}\n{identity_id}\n{created_at}\n".encode()
