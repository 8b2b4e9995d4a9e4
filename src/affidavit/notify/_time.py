"""Time as the ledger writes it: sortable UTC text with microseconds."""

from __future__ import annotations

import re
from datetime import datetime

_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def parse_time(text: str) -> datetime:
    """A ledger timestamp (``2026-12-07T09:00:00.000000Z``) as an aware datetime;
    ValueError for anything else."""
    if not _SHAPE.fullmatch(text):
        raise ValueError("not a ledger timestamp")
    # fromisoformat is several times faster than strptime; the shape is checked above.
    return datetime.fromisoformat(text)
