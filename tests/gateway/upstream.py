"""A small OpenAI-compatible upstream for the tests: it records every request it receives
and answers from a script (text, tool calls, an error status, garbage, a stall), streamed
or not, for chat completions and responses. No real model anywhere."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass
class Reply:
    """What the upstream answers next: text, tool calls, or a misbehaviour."""

    content: str | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200
    garbage: bytes | None = None
    stall_s: float = 0.0
    cut_stream: bool = False


@dataclass
class Upstream:
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    script: deque[Reply] = field(default_factory=deque)

    def next(self, body: dict[str, Any]) -> Reply:
        if self.script:
            return self.script.popleft()
        return Reply(content="echo: " + last_text(body))


def last_text(body: dict[str, Any]) -> str:
    items = body.get("messages") or body.get("input") or []
    if isinstance(items, str):
        return items
    for item in reversed(items):
        content = item.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _chat(model: str, reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            for i, (name, args) in enumerate(reply.tool_calls)
        ]
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chat_chunks(model: str, reply: Reply) -> list[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    chunks = [chunk({"role": "assistant", "content": ""})]
    text = reply.content or ""
    for i in range(0, len(text), 7):
        chunks.append(chunk({"content": text[i : i + 7]}))
    for j, (name, args) in enumerate(reply.tool_calls):
        raw = json.dumps(args)
        chunks.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": j,
                            "id": f"call_{j}",
                            "type": "function",
                            "function": {"name": name, "arguments": raw[:5]},
                        }
                    ]
                }
            )
        )
        chunks.append(chunk({"tool_calls": [{"index": j, "function": {"arguments": raw[5:]}}]}))
    chunks.append(chunk({}, "tool_calls" if reply.tool_calls else "stop"))
    return chunks


def _response(model: str, reply: Reply) -> dict[str, Any]:
    output: list[dict[str, Any]] = []
    if reply.content is not None:
        output.append(
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": reply.content, "annotations": []}],
            }
        )
    for i, (name, args) in enumerate(reply.tool_calls):
        output.append(
            {
                "type": "function_call",
                "id": f"fc_{i}",
                "call_id": f"call_{i}",
                "name": name,
                "arguments": json.dumps(args),
                "status": "completed",
            }
        )
    return {
        "id": "resp_test",
        "object": "response",
        "created_at": 1_700_000_000,
        "status": "completed",
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }


def _response_events(model: str, reply: Reply) -> list[dict[str, Any]]:
    final = _response(model, reply)
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {**final, "status": "in_progress", "output": []}}
    ]
    text = reply.content or ""
    if reply.content is not None:
        item = {**final["output"][0], "content": [], "status": "in_progress"}
        events.append({"type": "response.output_item.added", "output_index": 0, "item": item})
        part = {"type": "output_text", "text": "", "annotations": []}
        events.append(
            {
                "type": "response.content_part.added",
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "part": part,
            }
        )
        for i in range(0, len(text), 7):
            events.append(
                {
                    "type": "response.output_text.delta",
                    "item_id": "msg_1",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": text[i : i + 7],
                }
            )
        events.append(
            {
                "type": "response.output_text.done",
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "text": text,
            }
        )
        events.append(
            {
                "type": "response.content_part.done",
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "part": {**part, "text": text},
            }
        )
        events.append(
            {"type": "response.output_item.done", "output_index": 0, "item": final["output"][0]}
        )
    events.append({"type": "response.completed", "response": final})
    for n, event in enumerate(events):
        event["sequence_number"] = n
    return events


def create_upstream(state: Upstream) -> Starlette:
    async def answer(request: Request, api: str) -> Response:
        body = await request.json()
        state.received.append(body)
        state.headers.append(dict(request.headers))
        reply = state.next(body)
        if reply.stall_s:
            await asyncio.sleep(reply.stall_s)
        if reply.garbage is not None:
            return Response(reply.garbage, media_type="application/json")
        if reply.status != 200:
            return JSONResponse({"error": {"message": "upstream broke"}}, status_code=reply.status)
        model = str(body.get("model", "m"))
        if not body.get("stream"):
            whole = _chat(model, reply) if api == "chat" else _response(model, reply)
            return JSONResponse(whole)
        events = _chat_chunks(model, reply) if api == "chat" else _response_events(model, reply)
        if reply.cut_stream:
            events = events[: len(events) // 2]

        async def stream() -> Any:
            for event in events:
                prefix = f"event: {event['type']}\n" if api == "responses" else ""
                yield f"{prefix}data: {json.dumps(event)}\n\n".encode()
            if api == "chat" and not reply.cut_stream:
                yield b"data: [DONE]\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def chat(request: Request) -> Response:
        return await answer(request, "chat")

    async def responses(request: Request) -> Response:
        return await answer(request, "responses")

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/responses", responses, methods=["POST"]),
        ]
    )
