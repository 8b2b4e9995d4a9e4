"""Console sessions: a random id in a signed cookie, the state in this process's memory.

The cookie holds only ``<session id>.<HMAC-SHA256 of it>``; the identity token
the person signed in with stays in server memory, never in the browser after
the login form. A session ends at logout, after ``session_ttl_s``, after
``idle_s`` without a request, and whenever its token no longer authenticates
(every request re-checks it: a revoked token or a suspended person is signed
out on their next click). Sessions do not survive a restart and are not shared
between worker processes (docs/console.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = ["Session", "SessionStore"]

_ID_BYTES = 32


@dataclass(frozen=True)
class Session:
    id: str = field(repr=False)
    identity_id: str
    token: str = field(repr=False)
    csrf: str = field(repr=False)
    created_at: datetime


class SessionStore:
    """Thread-safe: routes run the Governor in the thread pool, sessions are shared."""

    def __init__(self, secret: str, *, ttl_s: float, idle_s: float, max_sessions: int) -> None:
        self._key = hashlib.sha256(b"affidavit-console-cookie\n" + secret.encode()).digest()
        self._ttl = timedelta(seconds=ttl_s)
        self._idle = timedelta(seconds=idle_s)
        self._max = max_sessions
        self._lock = threading.Lock()
        self._sessions: dict[str, tuple[Session, datetime]] = {}

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

    # -- sessions ----------------------------------------------------------

    def create(self, identity_id: str, token: str, now: datetime) -> Session:
        session = Session(
            id=secrets.token_urlsafe(_ID_BYTES),
            identity_id=identity_id,
            token=token,
            csrf=secrets.token_urlsafe(_ID_BYTES),
            created_at=now,
        )
        with self._lock:
            self._sweep(now)
            if len(self._sessions) >= self._max:
                # The oldest-idle session gives way: a flood of logins cannot exhaust memory.
                oldest = min(self._sessions, key=lambda k: self._sessions[k][1])
                del self._sessions[oldest]
            self._sessions[session.id] = (session, now)
        return session

    def get(self, session_id: str | None, now: datetime, *, touch: bool = True) -> Session | None:
        """The live session, or None; ``touch``: it counts as used now (a person's request,
        not a background re-check)."""
        if session_id is None:
            return None
        with self._lock:
            found = self._sessions.get(session_id)
            if found is None:
                return None
            session, last = found
            if now - session.created_at >= self._ttl or now - last >= self._idle:
                del self._sessions[session_id]
                return None
            if touch:
                self._sessions[session_id] = (session, max(last, now))
            return session

    def drop(self, session_id: str | None) -> None:
        if session_id is not None:
            with self._lock:
                self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _sweep(self, now: datetime) -> None:
        stale = [
            sid
            for sid, (s, last) in self._sessions.items()
            if now - s.created_at >= self._ttl or now - last >= self._idle
        ]
        for sid in stale:
            del self._sessions[sid]
