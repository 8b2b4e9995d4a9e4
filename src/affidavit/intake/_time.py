"""Read the many ways vendors write a point in time."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

__all__ = ["parse_timestamp"]

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|UTC|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE | re.ASCII,
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _from_epoch_number(number: int | float) -> datetime | None:
    # Vendors use seconds, milliseconds, microseconds or nanoseconds since the epoch;
    # the magnitude tells which: seconds stay below 1e11 until the year 5138, and only
    # milliseconds before March 1973 (older than any alert) would be misread.
    if isinstance(number, float) and not math.isfinite(number):
        return None
    if number <= 0:
        return None  # 0 is how several vendors say "no time"
    scale = 1
    for bound, factor in ((1e11, 1), (1e14, 1_000), (1e17, 1_000_000)):
        if number < bound:
            scale = factor
            break
    else:
        scale = 1_000_000_000
    try:
        if isinstance(number, int):
            seconds, remainder = divmod(number, scale)
            micros = remainder * 1_000_000 // scale
            return _EPOCH + timedelta(seconds=seconds, microseconds=micros)
        return _EPOCH + timedelta(seconds=number / scale)
    except OverflowError:
        return None


def _from_text(text: str) -> datetime | None:
    text = text.strip()
    if text.isascii() and text.isdigit():
        return _from_epoch_number(int(text)) if len(text) <= 20 else None
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    offset = timedelta(0)
    if zone and zone.upper() not in ("Z", "UTC"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    try:
        local = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micros
        )
        return (local - offset).replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def parse_timestamp(value: object) -> datetime | None:
    """A UTC datetime from ISO 8601 text (with or without offset) or an epoch number.

    Text without an offset is taken as UTC, which is what the vendors and log
    pipelines that drop it (Panther, Okta exports) mean. Returns ``None`` for
    anything that is not a usable time.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_epoch_number(value)
    if isinstance(value, str) and len(value) <= 64:
        return _from_text(value)
    return None
