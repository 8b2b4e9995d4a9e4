"""Running Governor calls off the event loop, and creates under an Idempotency-Key."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from affidavit.api.auth import Caller
from affidavit.api.idempotency import HEADER, check_key, request_digest
from affidavit.governance.governor import Governor

__all__ = ["create", "governor", "json_bytes", "run"]

T = TypeVar("T")


def governor(request: Request) -> Governor:
    gov: Governor = request.app.state.governor
    return gov


async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A blocking Governor call, in the thread pool."""
    return await run_in_threadpool(fn, *args, **kwargs)


def json_bytes(value: Any) -> bytes:
    if isinstance(value, BaseModel):
        return value.model_dump_json().encode()
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _json(body: bytes, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status, media_type="application/json", headers=headers)


async def create(
    request: Request, caller: Caller, fn: Callable[[], Any], status: int = 201
) -> Response:
    """Run ``fn`` (a create) once per Idempotency-Key; a retry gets the stored response."""
    key = request.headers.get(HEADER)
    if key is None:
        return _json(json_bytes(await run(fn)), status)
    check_key(key)
    store = request.app.state.idempotency
    digest = request_digest(request.method, request.url.path, await request.body())
    who = caller.identity.id
    stored = await run(store.begin, who, key, digest)
    if stored is not None:
        return _json(stored.body, stored.status, {"Idempotent-Replayed": "true"})
    try:
        body = json_bytes(await run(fn))
    except BaseException:
        await run(store.release, who, key)
        raise
    await run(store.finish, who, key, status, body)
    return _json(body, status)
