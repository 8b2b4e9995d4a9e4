"""Times as the ledger writes them, and as a person reads them."""

from __future__ import annotations

from datetime import UTC, datetime

_LEDGER_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def iso(moment: datetime) -> str:
    """The ledger's sortable UTC text (comparable with stored times as strings)."""
    return moment.astimezone(UTC).strftime(_LEDGER_TIME)


def parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, _LEDGER_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3 h 5 min``, ``2 d 4 h``."""
    s = int(abs(seconds))
    if s < 90:
        return f"{s} s"
    if s < 3600:
        return f"{round(s / 60)} min"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h} h {m} min" if m else f"{h} h"
    d, h = divmod(s // 3600, 24)
    return f"{d} d {h} h" if h else f"{d} d"


def time_left(expires_at: str | None, now: datetime) -> str:
    moment = parse(expires_at)
    if moment is None:
        return "no expiry"
    left = (moment - now).total_seconds()
    return "expired" if left <= 0 else duration(left)


def short_time(text: str | None) -> str:
    """``2026-12-07 09:00:12 UTC`` from a ledger time."""
    moment = parse(text)
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")
