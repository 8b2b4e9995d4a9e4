"""Ledger entries: what one state change looks like before and after it is stored.

An entry is canonical JSON (RFC 8785) with the top-level keys
``actor, body, case, [payloads], time, type`` (in that canonical order).
Bulky evidence never goes inline: it is attached as payload bytes, stored in
``ledger_payloads`` and referenced from the entry by SHA-256.

The identifier fields have restricted alphabets (no quotes, backslashes or
control characters). That keeps them safe to print and lets verification
check the stored query columns against the entry bytes without parsing JSON:
the bytes must start with :func:`entry_prefix` and end with :func:`entry_tail`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from affidavit import canonical
from affidavit.clock import iso, system_clock
from affidavit.errors import InputError

__all__ = [
    "ENTRY_MAX_BYTES",
    "PAYLOADS_MAX_COUNT",
    "PAYLOAD_MAX_BYTES",
    "Entry",
    "StoredEntry",
    "entry_prefix",
    "entry_tail",
    "utc_now",
]

ENTRY_MAX_BYTES = 64 * 1024
"""Largest canonical entry accepted; evidence belongs in payloads."""
PAYLOAD_MAX_BYTES = 32 * 1024 * 1024
PAYLOADS_MAX_COUNT = 64

_TYPE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*")
_ACTOR = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+/=-]*")
_CASE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def utc_now() -> str:
    """The wall clock in the ledger's format (UTC, microseconds, ``Z``), for plain appends.

    Governance never relies on it: its commands stamp their entries with the
    time of the Governor's injected clock (see :meth:`Batch.emit`).
    """
    return iso(system_clock())


def _check(name: str, value: object, pattern: re.Pattern[str], limit: int) -> str:
    if not isinstance(value, str):
        raise InputError(f"entry {name} must be a string, got {type(value).__name__}")
    if not value or len(value) > limit or not pattern.fullmatch(value):
        shown = value if len(value) <= 80 else value[:80] + "..."
        raise InputError(
            f"entry {name} {shown!r} is not valid: use 1-{limit} characters "
            f"matching {pattern.pattern}"
        )
    return value


def entry_prefix(actor: str) -> bytes:
    return b'{"actor":"' + actor.encode() + b'","body":'


def entry_tail(case: str | None, payload_refs: Sequence[str], time: str, type_: str) -> bytes:
    parts = [b',"case":', b"null" if case is None else b'"' + case.encode() + b'"']
    if payload_refs:
        parts.append(b',"payloads":[' + b",".join(b'"' + r.encode() + b'"' for r in payload_refs))
        parts.append(b"]")
    parts.append(b',"time":"' + time.encode() + b'","type":"' + type_.encode() + b'"}')
    return b"".join(parts)


@dataclass(frozen=True)
class Entry:
    """One state change to append. Validates itself on construction."""

    type: str
    actor: str
    body: Mapping[str, Any]
    case: str | None = None
    payloads: tuple[bytes, ...] = ()
    time: str = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        _check("type", self.type, _TYPE, 64)
        _check("actor", self.actor, _ACTOR, 200)
        if self.case is not None:
            _check("case", self.case, _CASE, 128)
        _check("time", self.time, _TIME, 27)
        if not isinstance(self.body, Mapping):
            raise InputError(f"entry body must be a JSON object, got {type(self.body).__name__}")
        if not isinstance(self.payloads, tuple) or len(self.payloads) > PAYLOADS_MAX_COUNT:
            raise InputError(f"entry payloads must be a tuple of at most {PAYLOADS_MAX_COUNT}")
        for i, data in enumerate(self.payloads):
            if not isinstance(data, bytes):
                raise InputError(f"payload {i} must be bytes, got {type(data).__name__}")
            if len(data) > PAYLOAD_MAX_BYTES:
                raise InputError(
                    f"payload {i} is {len(data)} bytes; the limit is {PAYLOAD_MAX_BYTES}"
                )

    @property
    def payload_refs(self) -> list[str]:
        return [hashlib.sha256(p).hexdigest() for p in self.payloads]

    def encode(self) -> bytes:
        """The canonical entry bytes: the leaf data of the Merkle tree."""
        body = canonical.encode(dict(self.body))
        data = (
            entry_prefix(self.actor)
            + body
            + entry_tail(self.case, self.payload_refs, self.time, self.type)
        )
        if len(data) > ENTRY_MAX_BYTES:
            raise InputError(
                f"entry of type {self.type} is {len(data)} bytes once encoded; the limit is "
                f"{ENTRY_MAX_BYTES} (attach bulky evidence as payloads)"
            )
        return data


@dataclass(frozen=True)
class StoredEntry:
    """An entry as read back from the ledger."""

    seq: int
    leaf_hash: bytes
    data: bytes
    type: str
    case: str | None
    actor: str
    time: str

    def json(self) -> dict[str, Any]:
        value = json.loads(self.data)
        assert isinstance(value, dict)
        return value

    @property
    def body(self) -> dict[str, Any]:
        body = self.json()["body"]
        assert isinstance(body, dict)
        return body

    @property
    def payload_refs(self) -> list[str]:
        refs = self.json().get("payloads", [])
        assert isinstance(refs, list)
        return [str(r) for r in refs]
