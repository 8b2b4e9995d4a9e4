"""Which fields of a vendor alert a normaliser read, so the rest can be reported.

``FieldReads(obj).root`` is the alert wrapped in ``dict`` and ``list`` subclasses
that remember the JSON path of every scalar read through them (``x[key]``,
``x.get``, iteration, ``items()``, ``values()``). Nested objects are wrapped
lazily as they are reached. After normalisation, ``unread()`` lists the
non-empty scalar fields nobody read: what the normalised alert does not carry.

Reading a field counts as mapping it, whether or not its value ended up in the
alert (a placeholder such as ``"N/A"``, a format discriminator). A normaliser
that reads a JSON-encoded string (Sentinel's ``Entities``) consumes it whole.

The wrappers' own storage holds the original values, so ``dict(x)``,
``untracked(x)`` and ``copy_json`` see plain data and leave no trace: copying
the raw alert as evidence is not reading it. (``json.dumps`` of a wrapper goes
through ``items()`` and does count; hash ``untracked(x)`` instead.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, SupportsIndex, overload

__all__ = ["FieldReads", "json_path", "untracked"]

Path = tuple[str | int, ...]
_PLAIN_KEY = re.compile(r"[A-Za-z_$@][A-Za-z0-9_$@-]*")
_MAX_PATH = 300


def json_path(path: Path) -> str:
    """``evidence[0].fileDetails.sha1``; keys that are not plain names are quoted JSON
    strings (``["kibana.alert.rule.name"]``), so control characters never reach a terminal."""
    parts: list[str] = []
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif _PLAIN_KEY.fullmatch(step):
            parts.append(f".{step}" if parts else step)
        else:
            parts.append(f"[{json.dumps(step[:120], ensure_ascii=True)}]")
    text = "".join(parts)
    return text if len(text) <= _MAX_PATH else text[: _MAX_PATH - 3] + "..."


def _wrap(value: Any, path: Path, reads: set[Path]) -> Any:
    if isinstance(value, Mapping):
        return TrackedDict(value, path, reads)
    if isinstance(value, list | tuple):
        return TrackedList(list(value), path, reads)
    reads.add(path)
    return value


class TrackedDict(dict[str, Any]):
    """A JSON object that records the paths of the scalars read from it."""

    __slots__ = ("_path", "_reads")

    def __init__(self, source: Mapping[str, Any], path: Path, reads: set[Path]) -> None:
        super().__init__(source)
        self._path = path
        self._reads = reads

    def __getitem__(self, key: str) -> Any:
        return _wrap(dict.__getitem__(self, key), (*self._path, key), self._reads)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if dict.__contains__(self, key) else default

    def items(self) -> Any:
        return {key: self[key] for key in dict.keys(self)}.items()

    def values(self) -> Any:
        return {key: self[key] for key in dict.keys(self)}.values()


class TrackedList(list[Any]):
    """A JSON array that records the paths of the scalars read from it."""

    __slots__ = ("_path", "_reads")

    def __init__(self, source: list[Any], path: Path, reads: set[Path]) -> None:
        super().__init__(source)
        self._path = path
        self._reads = reads

    @overload
    def __getitem__(self, index: SupportsIndex) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: SupportsIndex | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        position = index.__index__()
        value = list.__getitem__(self, position)
        if position < 0:
            position += len(self)
        return _wrap(value, (*self._path, position), self._reads)

    def __iter__(self) -> Iterator[Any]:
        for position, value in enumerate(list.__iter__(self)):
            yield _wrap(value, (*self._path, position), self._reads)


def untracked(value: Any) -> Any:
    """``value`` without the wrapper (nested values are plain already)."""
    if isinstance(value, TrackedDict):
        return dict(value)
    if isinstance(value, TrackedList):
        return list(list.__iter__(value))
    return value


def _leaves(value: Any, path: Path) -> Iterator[Path]:
    """Paths of the scalars in ``value`` that hold something (not null or blank)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list | tuple):
        for position, item in enumerate(value):
            yield from _leaves(item, (*path, position))
    elif value is not None and not (isinstance(value, str) and not value.strip()):
        yield path


class FieldReads:
    """Tracks one normalisation of ``obj`` (a plain JSON object)."""

    def __init__(self, obj: Mapping[str, Any]) -> None:
        self._obj = obj
        self._reads: set[Path] = set()
        self.root = TrackedDict(obj, (), self._reads)

    def unread(self) -> tuple[str, ...]:
        """JSON paths of the non-empty fields that were never read, in document order."""
        return tuple(json_path(path) for path in _leaves(self._obj, ()) if path not in self._reads)
