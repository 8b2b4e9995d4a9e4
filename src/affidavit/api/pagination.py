"""Cursor pagination: an opaque cursor (base64 of the last key seen) and ``limit`` <= 500."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict

from affidavit.errors import InputError

__all__ = [
    "MAX_LIMIT",
    "Page",
    "PageParams",
    "decode_cursor",
    "encode_cursor",
    "page",
    "page_of_list",
]

MAX_LIMIT = 500
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(extra="forbid")
    items: list[T]
    next_cursor: str | None = None
    """Pass as ``cursor`` for the next page; null on the last page."""


def encode_cursor(key: Any) -> str:
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, check: Callable[[Any], bool]) -> Any:
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InputError("cursor is not one this server issued") from None
    if not check(key):
        raise InputError("cursor is not one this server issued")
    return key


class PageParams:
    """``?limit=&cursor=`` as a dependency."""

    def __init__(
        self,
        limit: int = Query(100, ge=1, le=MAX_LIMIT, description="Items per page (<= 500)."),
        cursor: str | None = Query(None, max_length=512, description="From next_cursor."),
    ) -> None:
        self.limit = limit
        self.cursor = cursor

    def int_key(self) -> int | None:
        value = decode_cursor(self.cursor, lambda k: isinstance(k, int) and k >= -1)
        return None if value is None else int(value)

    def str_key(self) -> str | None:
        value = decode_cursor(self.cursor, lambda k: isinstance(k, str) and len(k) <= 300)
        return None if value is None else str(value)


def page(items: Sequence[Any], limit: int, key: Callable[[Any], Any]) -> dict[str, Any]:
    """A page body; a full page carries the cursor of its last item."""
    more = len(items) >= limit and len(items) > 0
    return {"items": list(items), "next_cursor": encode_cursor(key(items[-1])) if more else None}


def page_of_list(rows: Sequence[dict[str, Any]], key: str, paging: PageParams) -> dict[str, Any]:
    """A keyset page of a short list the Governor returns whole, ordered by the integer
    column ``key`` (a ledger sequence)."""
    after = paging.int_key()
    items = [r for r in rows if after is None or int(r[key]) > after][: paging.limit]
    return page(items, paging.limit, lambda r: r[key])
