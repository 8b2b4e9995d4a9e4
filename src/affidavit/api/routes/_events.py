"""Server-sent events: proposal status changes as the ledger records them.

Each event's id is its ledger sequence number; a client reconnecting with
``Last-Event-ID`` (or ``?after=``) resumes after it. Events come from the
ledger, so every node streams every node's changes. Agents and integrations
see events of their own proposals only.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from affidavit.api._respond import governor, run
from affidavit.api.auth import Caller, allow
from affidavit.api.streams import resume_after

router = APIRouter(tags=["events"])
_BATCH = 500
_KEEPALIVE_S = 15.0


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
    name="events",
)
async def events(
    request: Request,
    after: int | None = Query(None, ge=-1, description="Resume after this ledger seq"),
    max_seconds: float = Query(0, ge=0, le=86400, description="Close after this long (0: never)"),
    caller: Caller = Depends(allow("events")),
) -> StreamingResponse:
    """``event: proposal`` with data ``{seq, type, case, proposal, proposer, status}``."""
    gov = governor(request)
    size = await run(gov.ledger.size)
    after = resume_after(request.headers.get("last-event-id"), after, size)
    settings = request.app.state.api_settings
    own = caller.identity.id if caller.is_machine else None

    async def stream() -> AsyncIterator[bytes]:
        position = after
        started = quiet_since = time.monotonic()
        yield b": stream open\n\n"
        while not await request.is_disconnected():
            found = await run(gov.proposal_events, after=position, limit=_BATCH)
            for event in found:
                position = event["seq"]
                if own is not None and event["proposer"] != own:
                    continue
                data = json.dumps(event, separators=(",", ":"))
                yield f"id: {event['seq']}\nevent: proposal\ndata: {data}\n\n".encode()
                quiet_since = time.monotonic()
            now = time.monotonic()
            if max_seconds and now - started >= max_seconds:
                return
            if now - quiet_since >= _KEEPALIVE_S:
                yield b": keep-alive\n\n"
                quiet_since = now
            if len(found) < _BATCH:
                await asyncio.sleep(settings.poll_interval_s)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )
