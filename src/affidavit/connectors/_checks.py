"""Small checks shared by the connectors: identifiers, free text and parameter values.

"Printable" follows ``str.isprintable``: control, format (bidi overrides,
zero-width), separator, surrogate and unassigned characters are refused
rather than cleaned, because they make two different ids look the same in a
console, a ticket or a firewall rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from affidavit.errors import InputError

__all__ = [
    "optional_bool",
    "optional_int",
    "optional_text",
    "optional_text_list",
    "preview",
    "require_pattern",
    "require_text",
    "utc_iso",
]


def preview(value: object, limit: int = 60) -> str:
    """A short, escaped rendering of a bad value for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def utc_iso(timestamp: float) -> str:
    """``2026-11-28T04:23:00.123456Z``: the ledger's time format, which sorts as text."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def require_text(value: object, what: str, *, max_len: int) -> str:
    """Return ``value`` if it is a non-empty printable string without padding."""
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string, not {type(value).__name__}.")
    if not value:
        raise InputError(f"{what} must not be empty.")
    if len(value) > max_len:
        raise InputError(f"{what} is {len(value)} characters long; the limit is {max_len}.")
    if not value.isprintable():
        raise InputError(f"{what} contains control or invisible characters: {preview(value)}.")
    if value != value.strip():
        raise InputError(f"{what} must not start or end with a space: {preview(value)}.")
    return value


def require_pattern(value: object, what: str, pattern: re.Pattern[str], rule: str) -> str:
    """Return ``value`` if it fully matches ``pattern``; ``rule`` says the rule in words."""
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string, not {type(value).__name__}.")
    if pattern.fullmatch(value) is None:
        raise InputError(f"{what} {preview(value)} is not valid: {rule}.")
    return value


# Parameters were validated against the catalog's JSON Schema before they got
# here; these readers repeat the type checks a connector relies on, because
# an ActionRequest can also be built by hand (SDK users, tests, plugins).


def optional_text(params: Mapping[str, Any], key: str, *, max_len: int) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"parameter {key} must be a string, not {type(value).__name__}.")
    if len(value) > max_len:
        raise InputError(
            f"parameter {key} is {len(value)} characters long; the limit is {max_len}."
        )
    return value


def optional_int(params: Mapping[str, Any], key: str, *, low: int, high: int) -> int | None:
    value = params.get(key)
    if value is None:
        return None
    if type(value) is not int:
        raise InputError(f"parameter {key} must be an integer, not {preview(value)}.")
    if not low <= value <= high:
        raise InputError(f"parameter {key} must be between {low} and {high}, not {value}.")
    return value


def optional_bool(params: Mapping[str, Any], key: str) -> bool | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise InputError(f"parameter {key} must be true or false, not {preview(value)}.")
    return value


def optional_text_list(
    params: Mapping[str, Any], key: str, *, max_items: int, max_len: int
) -> list[str] | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise InputError(f"parameter {key} must be a list of strings.")
    if len(value) > max_items:
        raise InputError(f"parameter {key} has {len(value)} entries; the limit is {max_items}.")
    items = [require_text(item, f"an entry of parameter {key}", max_len=max_len) for item in value]
    if len(set(items)) != len(items):
        raise InputError(f"parameter {key} lists the same entry more than once.")
    return items
