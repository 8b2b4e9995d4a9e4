"""Per-identity rate limits that hold across ``serve`` processes and nodes on one database.

A fixed window per identity: windows are ``burst / rate`` seconds long (2 s by
default) and each grants at most ``burst`` requests, to all nodes together, so an
identity averages ``rate`` requests per second and sends at most ``burst`` at
once (up to twice that across a window boundary, the price of a fixed window).

The count lives in the service table ``api_rate_windows`` (one row per identity:
its current window and the requests granted in it; never ledgered, not governance
state). Writing it on every request would put a write transaction on every
request's path, so a process leases requests in blocks of ``burst // 20`` (at
least 1), taken under the database's write lock (without a disk sync of its own:
``Database.write(durable=False)``), and spends them locally. The sum granted never exceeds the
limit; the cost is that requests a node leased but did not use before the window
ended are lost, so an identity spread over N nodes may be refused up to
N × (block - 1) requests early.

Windows are numbered on the Governor's clock (the wall clock under ``serve``):
nodes whose clocks disagree by more than a window share one window, the newer.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from sqlalchemy import insert, select, update

from affidavit.api._tables import rate_windows
from affidavit.errors import RateLimited
from affidavit.store import Database

__all__ = ["RateLimiter", "RateWindows"]


class RateWindows:
    """The shared counter in ``api_rate_windows``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def lease(self, identity_id: str, window: int, want: int, limit: int) -> tuple[int, int]:
        """Grant up to ``want`` of ``limit`` requests in ``window`` (or a newer window
        another node already counts in): (the window, how many were granted)."""
        t = rate_windows
        with self.db.write(durable=False) as conn:
            row = conn.execute(
                select(t.c.window, t.c.granted).where(t.c.identity_id == identity_id)
            ).first()
            used = 0
            if row is not None and row.window >= window:
                window, used = int(row.window), int(row.granted)
            grant = max(0, min(want, limit - used))
            if grant == 0:
                return window, 0
            values = {"window": window, "granted": used + grant}
            if row is None:
                conn.execute(insert(t).values(identity_id=identity_id, **values))
            else:
                conn.execute(update(t).where(t.c.identity_id == identity_id).values(**values))
        return window, grant


class RateLimiter:
    """``check(identity)`` refuses with :class:`RateLimited` (429, ``Retry-After``) once
    the identity's window is used up on all nodes together. Blocking (it may write the
    database): call it off the event loop. ``clock`` gives seconds since the epoch."""

    def __init__(
        self,
        rate: float,
        burst: int,
        windows: RateWindows | None,
        clock: Callable[[], float],
    ) -> None:
        self.rate = rate
        self.limit = burst
        self.window_s = burst / rate if rate > 0 else math.inf
        self.block = max(1, burst // 20)
        self.windows = windows
        self.clock = clock
        self._lock = threading.Lock()
        self._leased: dict[str, tuple[int, int]] = {}  # identity: (window, unspent)
        self._exhausted: dict[str, int] = {}  # identity: the window found used up

    def check(self, identity_id: str) -> None:
        if self.rate <= 0 or self.windows is None:
            return
        now = self.clock()
        window = int(now // self.window_s)
        with self._lock:
            if self._spend(identity_id, window):
                return
            if self._exhausted.get(identity_id, -1) >= window:
                self._refuse(identity_id, self._exhausted[identity_id], now)
        leased_window, granted = self.windows.lease(identity_id, window, self.block, self.limit)
        with self._lock:
            if granted == 0:
                self._exhausted[identity_id] = leased_window
                self._refuse(identity_id, leased_window, now)
            held_window, unspent = self._leased.get(identity_id, (leased_window, 0))
            if held_window != leased_window:
                unspent = 0
            self._leased[identity_id] = (leased_window, unspent + granted - 1)

    def _spend(self, identity_id: str, window: int) -> bool:
        held_window, unspent = self._leased.get(identity_id, (-1, 0))
        if held_window >= window and unspent > 0:
            self._leased[identity_id] = (held_window, unspent - 1)
            return True
        return False

    def _refuse(self, identity_id: str, window: int, now: float) -> None:
        wait = max(1, math.ceil((window + 1) * self.window_s - now))
        raise RateLimited(
            f"too many requests from {identity_id}; retry in {wait} s", retry_after=wait
        )
