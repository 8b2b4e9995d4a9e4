"""Time as the ledger writes it: sortable UTC text with microseconds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def system_clock() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_FORMAT)


def parse_time(text: str) -> datetime:
    """A ledger timestamp (``2026-12-07T09:00:00.000000Z``) as an aware datetime."""
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)
