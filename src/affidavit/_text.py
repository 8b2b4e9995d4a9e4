"""Small checks on the strings that reach policy: identifiers, labels and free text.

"Printable" follows ``str.isprintable``: no control, format (bidi overrides,
zero-width), line/paragraph separator, surrogate, private-use or unassigned
characters, and no whitespace other than the ASCII space. Such characters can
make two different ids look identical in a console or a report, so they are
refused rather than cleaned.
"""

from __future__ import annotations

import re

from affidavit.errors import InputError

__all__ = [
    "KIND_PATTERN",
    "check_pattern",
    "check_printable",
    "check_string_set",
    "preview",
    "shorten",
]

# Target kinds, environments, connectors: short lowercase words, open vocabulary.
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")


def preview(value: object, limit: int = 60) -> str:
    """A short, escaped rendering of a bad value for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shorten(message: str, limit: int = 300) -> str:
    """``message`` cut to ``limit`` characters, for text quoted from a library error."""
    return message if len(message) <= limit else message[: limit - 3] + "..."


def check_printable(value: object, what: str, *, max_len: int, allow_empty: bool = False) -> str:
    """Return ``value`` if it is a printable string without padding; raise InputError otherwise."""
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string, not {type(value).__name__}.")
    if not value:
        if allow_empty:
            return value
        raise InputError(f"{what} must not be empty.")
    if len(value) > max_len:
        raise InputError(f"{what} is {len(value)} characters long; the limit is {max_len}.")
    if not value.isprintable():
        raise InputError(f"{what} contains control or invisible characters: {preview(value)}.")
    if value != value.strip():
        raise InputError(f"{what} must not start or end with a space: {preview(value)}.")
    return value


def check_pattern(value: object, what: str, pattern: re.Pattern[str], rule: str) -> str:
    """Return ``value`` if it fully matches ``pattern``; ``rule`` says the rule in words."""
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string, not {type(value).__name__}.")
    if pattern.fullmatch(value) is None:
        raise InputError(f"{what} {preview(value)} is not valid: {rule}.")
    return value


def check_string_set(values: object, what: str, *, max_items: int, max_len: int) -> tuple[str, ...]:
    """Return a sorted, de-duplicated tuple of printable strings."""
    if isinstance(values, str) or not isinstance(values, list | tuple | set | frozenset):
        raise InputError(f"{what} must be a list of strings.")
    if len(values) > max_items:
        raise InputError(f"{what} has {len(values)} entries; the limit is {max_items}.")
    for item in values:
        check_printable(item, f"an entry of {what}", max_len=max_len)
    return tuple(sorted(set(values)))
