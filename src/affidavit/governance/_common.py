"""Small shared pieces of the governance layer: time, ids, JSON columns, identifiers."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from affidavit import canonical
from affidavit.errors import InputError

Clock = Callable[[], datetime]

_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,127}")
_CASE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
MAX_TEXT = 4000


def system_clock() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Sortable UTC text, the same format as ledger entry times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def later(moment: datetime, seconds: float) -> str:
    return iso(moment + timedelta(seconds=seconds))


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


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
    return text
