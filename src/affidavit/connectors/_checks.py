"""Small checks shared by the connectors: identifiers, free text and parameter values.

"Printable" follows ``str.isprintable``: control, format (bidi overrides,
zero-width), separator, surrogate and unassigned characters are refused
rather than cleaned, because they make two different ids look the same in a
console, a ticket or a firewall rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from affidavit._text import check_pattern, check_printable, preview
from affidavit.errors import ConfigError, InputError

__all__ = [
    "MAX_URL_LENGTH",
    "check_pattern",
    "check_printable",
    "check_url",
    "optional_bool",
    "optional_int",
    "optional_text",
    "optional_text_list",
    "preview",
    "utc_iso",
]


MAX_URL_LENGTH = 2048


def check_url(value: object, what: str) -> str:
    """An http(s) URL with a host, from settings; ConfigError naming ``what`` otherwise.

    The value is never repeated in the message: many URLs carry an access token.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_URL_LENGTH:
        raise ConfigError(
            f"{what} must be an http or https URL of at most {MAX_URL_LENGTH} characters."
        )
    try:
        parsed = httpx.URL(value)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise ConfigError(f"{what} is not a valid URL.") from None
    if parsed.scheme not in ("http", "https"):
        shown = parsed.scheme or "none"
        raise ConfigError(f"{what} must use http or https, not scheme {shown!r}.")
    if not parsed.host:
        raise ConfigError(f"{what} has no host name.")
    return value


def utc_iso(timestamp: float) -> str:
    """``2026-11-28T04:23:00.123456Z``: the ledger's time format, which sorts as text."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
    items = [
        check_printable(item, f"an entry of parameter {key}", max_len=max_len) for item in value
    ]
    if len(set(items)) != len(items):
        raise InputError(f"parameter {key} lists the same entry more than once.")
    return items
