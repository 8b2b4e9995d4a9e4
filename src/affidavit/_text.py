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
    "BIDI_CONTROLS",
    "KIND_PATTERN",
    "MAX_JSON_DEPTH",
    "check_json_value",
    "check_no_bidi",
    "check_pattern",
    "check_printable",
    "check_string_set",
    "preview",
    "shorten",
]

# Target kinds, environments, connectors: short lowercase words, open vocabulary.
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")


# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069):
# they make text display in another order than it is stored ("Trojan Source"), so a
# rationale could read differently to an approver than in the ledger.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# How deeply JSON values that people or agents send may nest: far beyond any action's
# parameters, far below Python's recursion limit (deeper values raised RecursionError).
MAX_JSON_DEPTH = 32


def check_no_bidi(text: str, what: str) -> str:
    """Return ``text``; raise InputError (not quoting it) when it holds a bidi control."""
    if not BIDI_CONTROLS.isdisjoint(text):
        raise InputError(
            f"{what} contains bidirectional override characters (U+202A-U+202E, "
            "U+2066-U+2069), which make text display differently from what is stored."
        )
    return text


def check_json_value(value: object, what: str, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise InputError when ``value`` nests deeper than ``max_depth`` or holds a string
    (or key) with a bidi control. Iterative: any depth is checked without recursion."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            check_no_bidi(node, what)
        elif isinstance(node, dict | list | tuple):
            if depth > max_depth:
                raise InputError(f"{what} nests deeper than {max_depth} levels.")
            if isinstance(node, dict):
                for key, item in node.items():
                    if isinstance(key, str):
                        check_no_bidi(key, what)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in node)


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
