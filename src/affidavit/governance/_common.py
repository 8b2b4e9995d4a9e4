"""Small shared pieces of the governance layer: time, ids, JSON columns, identifiers."""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from affidavit import canonical
from affidavit._text import check_no_bidi
from affidavit.clock import Clock, iso, parse_iso, system_clock
from affidavit.errors import InputError

__all__ = [
    "Clock",
    "IdSource",
    "SequentialIds",
    "check_case_id",
    "check_name",
    "check_text",
    "from_json",
    "iso",
    "json_text",
    "later",
    "parse_iso",
    "random_ids",
    "system_clock",
]

IdSource = Callable[[str], str]
"""Makes the id of a new proposal, authorization or step from its prefix."""

_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,127}")
_CASE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
MAX_TEXT = 4000


def later(moment: datetime, seconds: float) -> str:
    return iso(moment + timedelta(seconds=seconds))


def random_ids(prefix: str) -> str:
    """The default id source: 80 random bits, unguessable and unique in practice."""
    return f"{prefix}_{secrets.token_hex(10)}"


class SequentialIds:
    """A deterministic id source (``prop_00000000000000000001``, ...), for reproducible runs.

    Only safe for one writer: two processes counting from one would collide.
    """

    def __init__(self, start: int = 1) -> None:
        self._counter = itertools.count(start)
        self._lock = threading.Lock()

    def __call__(self, prefix: str) -> str:
        with self._lock:
            n = next(self._counter)
        return f"{prefix}_{n:020x}"


def json_text(value: Any) -> str:
    return canonical.encode(value).decode()


def from_json(text: str) -> Any:
    return json.loads(text)


def check_name(value: object, what: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise InputError(
            f"{what} {value!r} is not valid: use 1-128 lowercase letters, digits and . _ @ -, "
            "starting with a letter or digit"
        )
    return value


def check_case_id(value: object) -> str:
    if not isinstance(value, str) or not _CASE.fullmatch(value):
        raise InputError(
            f"case id {value!r} is not valid: use 1-128 letters, digits and . _ : -, "
            "starting with a letter or digit"
        )
    return value


def check_text(value: object, what: str, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InputError(f"{what} must be text")
    text = value.strip()
    if required and not text:
        raise InputError(f"{what} is required")
    if len(text) > MAX_TEXT:
        raise InputError(f"{what} is longer than {MAX_TEXT} characters")
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InputError(f"{what} contains control characters")
    return check_no_bidi(text, what)
