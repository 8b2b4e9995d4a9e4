"""Targets of an action, written ``KIND:ID`` (``host:pc-sales-0215``, ``ip:203.0.113.7``).

The kind is a short lowercase word (``[a-z][a-z0-9_]{0,31}``); the id is
everything after the first colon, so ``ip:2001:db8::1`` and
``url:https://example.test/a`` parse as expected. Ids are kept exactly as given
(no case folding): they must be printable (see ``_text``), not padded with
spaces, and at most ``MAX_TARGET_ID_LENGTH`` characters.
"""

from __future__ import annotations

from dataclasses import dataclass

from affidavit._text import KIND_PATTERN, check_pattern, check_printable, preview
from affidavit.errors import InputError

__all__ = ["MAX_TARGET_ID_LENGTH", "Target", "parse_target"]

MAX_TARGET_ID_LENGTH = 1024
_MAX_TARGET_TEXT = MAX_TARGET_ID_LENGTH + 33  # kind (32) + ":" + id
_KIND_RULE = (
    "a kind is a lowercase word of at most 32 letters, digits or '_' starting with a letter"
)


@dataclass(frozen=True, order=True)
class Target:
    """One thing an action applies to: its kind and its id within that kind."""

    kind: str
    id: str

    def __post_init__(self) -> None:
        check_pattern(self.kind, "target kind", KIND_PATTERN, _KIND_RULE)
        check_printable(self.id, "target id", max_len=MAX_TARGET_ID_LENGTH)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


def parse_target(text: object) -> Target:
    """Parse ``KIND:ID``; raise InputError naming what is wrong."""
    if not isinstance(text, str):
        raise InputError(f"a target must be a string KIND:ID, not {type(text).__name__}.")
    if len(text) > _MAX_TARGET_TEXT:
        raise InputError(f"target is {len(text)} characters long; the limit is {_MAX_TARGET_TEXT}.")
    kind, sep, ident = text.partition(":")
    if not sep:
        raise InputError(
            f"target {preview(text)} must be written KIND:ID, e.g. host:pc-sales-0215."
        )
    return Target(kind, ident)
