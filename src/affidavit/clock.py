"""Time as Affidavit records it: one injectable clock, one text format.

Every comparison of times (expiry, retention, review due times, the spike
window) is made against the time of the command being run, which comes from a
:data:`Clock` injected at the top (the Governor, the CLI); the ledger stamps
that same time on the entries the command writes. Only :func:`system_clock`
reads the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from affidavit.errors import InputError

__all__ = ["TIME_FORMAT", "Clock", "iso", "parse_iso", "system_clock"]

Clock = Callable[[], datetime]
"""Returns the current moment, timezone-aware."""

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
"""UTC with microseconds and ``Z``: sorts as text exactly as it sorts as time."""


def system_clock() -> datetime:
    """The wall clock: the default at the top of the stack, never read below it."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """``moment`` as the ledger writes times (aware datetimes only)."""
    if moment.tzinfo is None:
        raise InputError("a time without a timezone is ambiguous; give an aware datetime")
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)
