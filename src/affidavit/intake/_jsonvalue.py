"""Validate and deep-copy plain JSON values (the shape alerts are kept in as evidence)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from affidavit.errors import InputError

__all__ = ["MAX_DEPTH", "copy_json"]

MAX_DEPTH = 64
# A lone surrogate (from a "\ud800" escape) cannot be encoded as UTF-8, so it would
# break hashing and storage later; refuse it at the door.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _path(parts: list[str | int]) -> str:
    text = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p[:40]}" for p in parts)
    return text if len(text) <= 200 else text[:197] + "..."


def _check_text(text: str, where: str, parts: list[str | int]) -> str:
    if _SURROGATE.search(text):
        raise InputError(f"{where} holds text that is not valid Unicode at {_path(parts)}.")
    return text


def _copy(value: Any, where: str, parts: list[str | int], depth: int, max_depth: int) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _check_text(value, where, parts)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"{where} holds NaN or Infinity at {_path(parts)}; JSON has neither.")
        return value
    if depth >= max_depth:
        raise InputError(f"{where} is nested deeper than {max_depth} levels at {_path(parts)}.")
    if isinstance(value, Mapping):
        copied: dict[str, Any] = {}
        # dict.items reads a dict subclass's storage: copying a tracked alert
        # (see _tracking) as evidence must not count as reading its fields.
        pairs = dict.items(value) if isinstance(value, dict) else value.items()
        for key, item in pairs:
            if not isinstance(key, str):
                raise InputError(f"{where} has a key that is not text at {_path(parts)}.")
            parts.append(_check_text(key, where, parts))
            copied[key] = _copy(item, where, parts, depth + 1, max_depth)
            parts.pop()
        return copied
    if isinstance(value, list | tuple):
        items = []
        for index, item in enumerate(list.__iter__(value) if isinstance(value, list) else value):
            parts.append(index)
            items.append(_copy(item, where, parts, depth + 1, max_depth))
            parts.pop()
        return items
    raise InputError(
        f"{where} holds a {type(value).__name__}, which is not JSON, at {_path(parts)}."
    )


def copy_json(value: Any, *, where: str, max_depth: int = MAX_DEPTH) -> Any:
    """Return a deep copy of ``value`` made of dict, list, str, int, float, bool and None.

    Raises ``InputError`` naming ``where`` and the JSON path for anything else:
    non-text keys, NaN/Infinity, lone surrogates, or nesting deeper than ``max_depth``.
    """
    return _copy(value, where, [], 0, max_depth)
