"""Careful readers for untrusted vendor JSON, shared by the normalisers.

Every helper returns ``None`` or an empty list when a field is missing or has the
wrong type, so a normaliser never trips over a vendor's odd record; it decides
itself which missing fields are fatal (and raises ``InputError`` for those).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._tracking import untracked
from affidavit.intake.model import Entity, EntityKind

__all__ = [
    "EntityBag",
    "content_id",
    "get",
    "ident",
    "joined_path",
    "lower_keys",
    "mapping",
    "mappings",
    "number",
    "peek",
    "techniques_in",
    "text",
    "texts",
]

_TECHNIQUE = re.compile(r"\bT\d{4}(?:\.\d{3})?\b", re.ASCII)
# Values vendors write when they mean "nothing here".
_PLACEHOLDERS = frozenset(
    {"", "-", "--", "n/a", "na", "none", "null", "(null)", "nil", "unknown", "undefined"}
)


def get(obj: object, *path: str | int) -> Any:
    """The value at ``path`` (keys and list indexes), or ``None`` if any step is missing."""
    current: Any = obj
    for step in path:
        if isinstance(step, str) and isinstance(current, Mapping):
            current = current.get(step)
        elif (
            isinstance(step, int)
            and isinstance(current, list)
            and -len(current) <= step < len(current)
        ):
            current = current[step]
        else:
            return None
    return current


def peek(obj: object, *path: str | int) -> Any:
    """Like ``get``, without counting as reading the value (see ``_tracking``).

    For fields a normaliser maps only in part, such as a list of names of which
    only the known ones become technique ids: it peeks at the list, then ``get``s
    the items it maps, and the rest stay reported as unmapped.
    """
    current: Any = obj
    for step in path:
        # dict.get and list.__getitem__ read a tracked container's plain storage.
        if isinstance(step, str) and isinstance(current, dict):
            current = dict.get(current, step)
        elif (
            isinstance(step, int)
            and isinstance(current, list)
            and -len(current) <= step < len(current)
        ):
            current = list.__getitem__(current, step)
        else:
            return None
    return current


def text(obj: object, *path: str | int) -> str | None:
    """A non-empty, stripped string at ``path``; numbers are not text."""
    value = get(obj, *path)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def ident(obj: object, *path: str | int) -> str | None:
    """An identifier at ``path``: a non-empty string or an integer (written in decimal)."""
    value = get(obj, *path)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(value)


def number(obj: object, *path: str | int) -> int | float | None:
    value = get(obj, *path)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int):
        return value
    return value if math.isfinite(value) else None


def mapping(obj: object, *path: str | int) -> Mapping[str, Any] | None:
    value = get(obj, *path)
    return value if isinstance(value, Mapping) else None


def mappings(obj: object, *path: str | int) -> list[Mapping[str, Any]]:
    """The objects in the list at ``path``; anything else in the list is skipped.

    A lone object where a list belongs counts as a list of one: exports and
    XML-to-JSON bridges collapse one-item arrays, and the item must not be lost.
    """
    value = get(obj, *path)
    if isinstance(value, Mapping):
        return [value]
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def texts(obj: object, *path: str | int) -> list[str]:
    """The non-empty strings at ``path``, which may hold one string or a list of them."""
    value = get(obj, *path)
    values = value if isinstance(value, list) else [value]
    return [item.strip() for item in values if isinstance(item, str) and item.strip()]


class _CaseFolded(Mapping[str, Any]):
    """``obj`` looked up by lower-cased key; values are read only when asked for."""

    def __init__(self, obj: Mapping[str, Any]) -> None:
        self._obj = obj
        self._keys = {key.lower(): key for key in obj if isinstance(key, str)}

    def __getitem__(self, key: str) -> Any:
        return self._obj[self._keys[key]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def joined_path(folder: str | None, name: str | None) -> str | None:
    """``folder`` + ``name``, for vendors that split a path; either one alone if need be."""
    if folder and name:
        separator = "\\" if "\\" in folder else "/"
        return folder.rstrip("\\/") + separator + name
    return name or folder


def lower_keys(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The top level with lower-cased keys, for feeds that re-case field names."""
    return _CaseFolded(obj)


def techniques_in(*values: object) -> list[str]:
    """MITRE ATT&CK technique ids (T1234, T1234.001) found in strings or lists of strings."""
    found: list[str] = []
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                found.extend(_TECHNIQUE.findall(item))
    return list(dict.fromkeys(found))


def content_id(obj: Mapping[str, Any]) -> str:
    """A stable id from an event's content, for formats whose events carry none."""
    try:
        encoded = json.dumps(
            untracked(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=True
        )
    except (TypeError, ValueError):
        raise InputError("the alert holds values that are not JSON.") from None
    return "sha256:" + hashlib.sha256(encoded.encode("ascii")).hexdigest()


class EntityBag:
    """Collects entities, silently dropping values that are placeholders or invalid.

    Vendors fill fields with junk often enough ("N/A", "0000...") that one bad
    field must not sink an otherwise good alert; the raw alert keeps it anyway.
    """

    def __init__(self) -> None:
        self._entities: list[Entity] = []

    def add(self, kind: EntityKind, value: object, role: str | None = None) -> None:
        if not isinstance(value, str) or value.strip().lower() in _PLACEHOLDERS:
            return
        try:
            self._entities.append(Entity(kind, value, role))
        except InputError:
            return

    def add_all(self, kind: EntityKind, values: Iterable[object], role: str | None = None) -> None:
        for value in values:
            self.add(kind, value, role)

    def add_address(self, value: object, role: str | None = None) -> None:
        """An IP address, or else a host name, from fields that hold either (Splunk's
        ``src``, ``dest``)."""
        if not isinstance(value, str):
            return
        try:
            self._entities.append(Entity(EntityKind.IP, value, role))
        except InputError:
            self.add(EntityKind.HOST, value, role)

    def add_user(self, name: object, domain: object = None, role: str | None = None) -> None:
        """A user as ``DOMAIN\\name`` when the vendor gives a domain and a bare name."""
        bare_name = (
            isinstance(name, str)
            and "@" not in name
            and "\\" not in name
            and name.strip().lower() not in _PLACEHOLDERS
        )
        if bare_name and isinstance(domain, str) and domain.strip():
            name = f"{domain.strip()}\\{str(name).strip()}"
        self.add(EntityKind.USER, name, role)

    def entities(self) -> tuple[Entity, ...]:
        return tuple(self._entities)
