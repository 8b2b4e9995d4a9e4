"""Alert spike detection: an exponentially weighted alert rate with hysteresis.

Every ``alert.ingested`` entry adds one to a count that decays with time
constant ``tau`` (default 15 minutes): at a steady rate of *r* alerts per 15
minutes the count settles at *r*, so the threshold keeps the meaning of
the published ``alerts.spike_per_15_minutes`` ("more than N alerts in 15 minutes"), while a
sudden burst is seen at once instead of after a full window. A surge starts
when the rate exceeds ``on`` and lasts until it falls below ``off`` (half of
``on`` by default): the flag does not flap while the rate hovers near the
threshold. The moment a surge ends is computed exactly from the decay, so the
periods found do not depend on when anyone asked.

:class:`SpikeDetector` is pure (times in, state out). :class:`SpikeMonitor`
feeds it from the ledger, reading only alerts it has not seen, and answers
"is there a surge now?" at a time its caller gives: the Governor's injected
clock, never the wall clock.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from affidavit.clock import iso as timestamp
from affidavit.errors import InputError
from affidavit.ledger.reader import LedgerReader
from affidavit.oversight.entry_types import ALERT_INGESTED
from affidavit.store.schema import ledger_entries

__all__ = ["SpikeDetector", "SpikeMonitor", "SpikePeriod", "SpikeSettings", "ledger_seconds"]

_WINDOW_S = 900.0  # the rate is expressed per 15 minutes
_HORIZON_TAUS = 12.0  # older alerts weigh under e**-12: the warm-up reads no further
_CHUNK = 2000
REFRESH_S = 1.0
"""The monitor reads new alerts at most once per second of its caller's clock."""


def ledger_seconds(text: str) -> float:
    """A ledger timestamp (``2026-11-28T09:00:00.000000Z``) as POSIX seconds."""
    return datetime.fromisoformat(text).timestamp()


def _text(seconds: float) -> str:
    return timestamp(datetime.fromtimestamp(seconds, UTC))


@dataclass(frozen=True)
class SpikeSettings:
    """``on``: alerts per 15 minutes that start a surge; ``off_ratio``: the fraction of
    ``on`` below which it ends; ``tau_s``: how fast old alerts stop counting."""

    on: float = 500.0
    off_ratio: float = 0.5
    tau_s: float = 900.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.on) and self.on > 0):
            raise InputError("the spike threshold must be a positive number of alerts")
        if not 0 < self.off_ratio < 1:
            raise InputError("the spike off ratio must be between 0 and 1 (exclusive)")
        if not (math.isfinite(self.tau_s) and self.tau_s > 0):
            raise InputError("the spike time constant must be a positive number of seconds")

    @classmethod
    def from_threshold(cls, alerts_per_15m: float) -> SpikeSettings:
        """The published configuration's threshold (``alerts.spike_per_15_minutes``)."""
        return cls(on=float(alerts_per_15m))

    @property
    def off(self) -> float:
        return self.on * self.off_ratio


@dataclass(frozen=True)
class SpikePeriod:
    """One surge: from the alert that crossed ``on`` to the moment the rate fell below
    ``off`` (``end`` None while it lasts); its peak rate per 15 minutes."""

    start: str
    end: str | None
    peak: float

    def to_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "peak_per_15m": round(self.peak, 1)}


@dataclass
class SpikeDetector:
    """The decaying alert count and the surge state, folded one alert at a time (O(1))."""

    settings: SpikeSettings = field(default_factory=SpikeSettings)
    weight: float = 0.0
    at: float | None = None
    active: bool = False
    peak: float = 0.0
    start: float | None = None
    periods: list[SpikePeriod] = field(default_factory=list)

    def _scale(self) -> float:
        return _WINDOW_S / self.settings.tau_s

    def _advance(self, moment: float) -> None:
        if self.at is None:
            self.at = moment
            return
        if moment <= self.at:  # out of order by a little (concurrent appenders): no decay
            return
        ended = self._ends()
        if ended is not None and ended < moment:
            assert self.start is not None
            self.periods.append(SpikePeriod(_text(self.start), _text(ended), self.peak))
            self.active, self.start, self.peak = False, None, 0.0
        self.weight *= math.exp((self.at - moment) / self.settings.tau_s)
        self.at = moment

    def _ends(self) -> float | None:
        """When the surge in progress ends if no alert comes (the rate falls below off)."""
        if not self.active or self.at is None:
            return None
        off = self.settings.off / self._scale()
        return self.at + self.settings.tau_s * math.log(max(self.weight, off) / off)

    def observe(self, moment: float) -> None:
        """One alert ingested at ``moment`` (POSIX seconds)."""
        self._advance(moment)
        self.weight += 1.0
        rate = self.weight * self._scale()
        if self.active:
            self.peak = max(self.peak, rate)
        elif rate > self.settings.on:
            self.active, self.start, self.peak = True, self.at, rate

    def rate(self, moment: float) -> float:
        """Alerts per 15 minutes, as estimated at ``moment``."""
        if self.at is None:
            return 0.0
        elapsed = max(0.0, moment - self.at)
        return self.weight * math.exp(-elapsed / self.settings.tau_s) * self._scale()

    def surging(self, moment: float) -> bool:
        """Whether a surge lasts at ``moment`` (ends it, and records it, once it is over)."""
        self._advance(moment)
        return self.active

    def all_periods(self, moment: float | None = None) -> list[SpikePeriod]:
        """Finished surges, then the one in progress (if any), as known at ``moment``
        (a surge whose rate has fallen below ``off`` by then has ended); changes nothing."""
        if not self.active or self.start is None:
            return list(self.periods)
        ended = self._ends()
        end = _text(ended) if ended is not None and moment is not None and ended < moment else None
        return [*self.periods, SpikePeriod(_text(self.start), end, self.peak)]


class SpikeMonitor:
    """A :class:`SpikeDetector` kept current from the ledger; thread-safe.

    The first question reads the alerts of the last few hours only (newest first,
    by the ``(type, seq)`` index); later ones read the alerts appended since, at most
    once per :data:`REFRESH_S` of the caller's clock (a read costs a query; proposals
    ask on every call).
    """

    def __init__(self, settings: SpikeSettings) -> None:
        self.detector = SpikeDetector(settings)
        self._position: int | None = None  # the last alert seq folded
        self._read_at: float | None = None  # the caller's time of the last read
        self._lock = threading.Lock()

    def active(self, ledger: LedgerReader, now: datetime) -> bool:
        """Whether alerts are surging at ``now``."""
        moment = now.timestamp()
        with self._lock:
            if self._read_at is not None and 0 <= moment - self._read_at < REFRESH_S:
                return self.detector.surging(moment)
            self._read_at = moment
            if self._position is None:
                horizon = moment - _HORIZON_TAUS * self.detector.settings.tau_s
                rows, self._position = _recent_alerts(ledger, _text(horizon))
            else:
                rows = _alerts_after(ledger, self._position)
            for seq, time in rows:
                self.detector.observe(ledger_seconds(time))
                self._position = seq
            return self.detector.surging(moment)


_e = ledger_entries


def _alerts_after(ledger: LedgerReader, seq: int) -> list[tuple[int, str]]:
    q = (
        select(_e.c.seq, _e.c.time)
        .where(_e.c.type == ALERT_INGESTED, _e.c.seq > seq)
        .order_by(_e.c.seq)
    )
    with ledger.db.read() as conn:
        return [(int(s), str(t)) for s, t in conn.execute(q)]


def _recent_alerts(ledger: LedgerReader, since: str) -> tuple[list[tuple[int, str]], int]:
    """Alerts newer than ``since``, oldest first, read backwards from the newest; and
    the newest alert's seq (-1: none yet)."""
    found: list[tuple[int, str]] = []
    newest = -1
    before: int | None = None
    while True:
        q = select(_e.c.seq, _e.c.time).where(_e.c.type == ALERT_INGESTED)
        if before is not None:
            q = q.where(_e.c.seq < before)
        with ledger.db.read() as conn:
            rows = conn.execute(q.order_by(_e.c.seq.desc()).limit(_CHUNK)).all()
        if rows and newest < 0:
            newest = int(rows[0][0])
        found.extend((int(s), str(t)) for s, t in rows if t >= since)
        if len(rows) < _CHUNK or rows[-1][1] < since:
            break
        before = int(rows[-1][0])
    found.reverse()
    return found, newest
