"""Where the texts are in OpenAI-compatible requests and responses (chat completions and
responses), streamed or not: found by position, replaced by position.

Every text the model receives or returns is a *slot* (a label, the dict or list
holding it, and its key). Content the data policy cannot check (images, audio,
files) is refused in a request rather than sent unchecked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from affidavit.errors import InputError

__all__ = [
    "CHAT",
    "RESPONSES",
    "Slot",
    "StreamRewriter",
    "apply_output",
    "output_texts",
    "request_slots",
    "well_formed",
]

CHAT = "chat.completions"
RESPONSES = "responses"
_TEXT_PARTS = frozenset({"text", "input_text", "output_text", "refusal", "summary_text"})
# Fields that could carry personal data the policy does not check, and that no model needs.
DROPPED_FIELDS = ("user", "metadata", "safety_identifier")


@dataclass(frozen=True)
class Slot:
    label: str
    holder: dict[str, Any]
    key: str

    @property
    def text(self) -> str:
        return str(self.holder[self.key])

    def put(self, text: str) -> None:
        self.holder[self.key] = text


def _parts(holder: dict[str, Any], where: str, out: list[Slot]) -> None:
    content = holder.get("content")
    if isinstance(content, str):
        out.append(Slot(f"{where}.content", holder, "content"))
    elif isinstance(content, list):
        for j, part in enumerate(content):
            if not isinstance(part, dict):
                raise InputError(f"{where}.content[{j}] must be an object")
            kind = part.get("type")
            if kind in _TEXT_PARTS:
                key = "refusal" if kind == "refusal" and "refusal" in part else "text"
                if not isinstance(part.get(key), str):
                    raise InputError(f"{where}.content[{j}].{key} must be a string")
                out.append(Slot(f"{where}.content[{j}]", part, key))
            else:
                raise InputError(
                    f"{where}.content[{j}] is of type {str(kind)[:40]!r}, which the data "
                    "policy cannot check; only text content passes the gateway"
                )
    elif content is not None:
        raise InputError(f"{where}.content must be a string or a list of parts")


def request_slots(api: str, body: dict[str, Any]) -> list[Slot]:
    """Every text of the request the model would receive, in order."""
    out: list[Slot] = []
    if api == CHAT:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise InputError("messages must be a non-empty list")
        for i, message in enumerate(messages):
            if not isinstance(message, dict):
                raise InputError(f"messages[{i}] must be an object")
            _parts(message, f"messages[{i}]", out)
            for j, call in enumerate(message.get("tool_calls") or []):
                fn = call.get("function") if isinstance(call, dict) else None
                if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                    out.append(Slot(f"messages[{i}].tool_calls[{j}].arguments", fn, "arguments"))
        return out
    if isinstance(body.get("instructions"), str):
        out.append(Slot("instructions", body, "instructions"))
    given = body.get("input")
    if isinstance(given, str):
        out.append(Slot("input", body, "input"))
    elif isinstance(given, list):
        for i, item in enumerate(given):
            if not isinstance(item, dict):
                raise InputError(f"input[{i}] must be an object")
            _parts(item, f"input[{i}]", out)
            for key in ("arguments", "output"):
                if isinstance(item.get(key), str):
                    out.append(Slot(f"input[{i}].{key}", item, key))
    else:
        raise InputError("input must be a string or a list of items")
    return out


def well_formed(api: str, body: object) -> bool:
    """Whether an upstream's answer has the shape of a completion (or a response)."""
    if not isinstance(body, dict):
        return False
    if api == CHAT:
        choices = body.get("choices")
        return isinstance(choices, list) and all(
            isinstance(c, dict) and isinstance(c.get("message"), dict) for c in choices
        )
    output = body.get("output")
    return isinstance(output, list) and all(isinstance(o, dict) for o in output)


def _output_slots(api: str, body: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], Slot]]:
    if api == CHAT:
        for i, choice in enumerate(body.get("choices") or []):
            message = choice.get("message") or {}
            for key in ("content", "refusal"):
                if isinstance(message.get(key), str):
                    yield (key, i), Slot(f"choices[{i}].{key}", message, key)
            for j, call in enumerate(message.get("tool_calls") or []):
                fn = call.get("function") if isinstance(call, dict) else None
                if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                    yield ("args", i, j), Slot(f"choices[{i}].tool_calls[{j}]", fn, "arguments")
        return
    for i, item in enumerate(body.get("output") or []):
        if isinstance(item.get("arguments"), str):
            yield ("args", i), Slot(f"output[{i}].arguments", item, "arguments")
        for field_, kind in (("content", "text"), ("summary", "sum")):
            for j, part in enumerate(item.get(field_) or []):
                if not isinstance(part, dict):
                    continue
                for key in ("text", "refusal"):
                    if isinstance(part.get(key), str):
                        yield (kind, i, j), Slot(f"output[{i}].{field_}[{j}]", part, key)


def output_texts(api: str, body: dict[str, Any]) -> dict[tuple[Any, ...], tuple[str, str]]:
    """key -> (label, text) of everything the model returned."""
    return {key: (slot.label, slot.text) for key, slot in _output_slots(api, body)}


def apply_output(api: str, body: dict[str, Any], treated: dict[tuple[Any, ...], str]) -> None:
    for key, slot in _output_slots(api, body):
        if key in treated:
            slot.put(treated[key])


class StreamRewriter:
    """A buffered stream's events: the texts they add up to, and the same events carrying
    the treated texts instead (the first delta of each text carries it whole)."""

    def __init__(self, api: str, events: list[Any]) -> None:
        self.api = api
        self.events = events

    def _chat_keys(self, chunk: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], Slot]]:
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            i = choice.get("index", 0)
            delta = choice.get("delta") or {}
            for key in ("content", "refusal"):
                if isinstance(delta.get(key), str):
                    yield (key, i), Slot(f"choices[{i}].{key}", delta, key)
            for call in delta.get("tool_calls") or []:
                fn = call.get("function") if isinstance(call, dict) else None
                if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                    j = call.get("index", 0)
                    yield ("args", i, j), Slot(f"choices[{i}].tool_calls[{j}]", fn, "arguments")

    def _responses_keys(
        self, event: dict[str, Any]
    ) -> Iterator[tuple[tuple[Any, ...], Slot, bool]]:
        """(key, slot, is_delta) for each text an event carries."""
        kind = str(event.get("type", ""))
        oi = event.get("output_index", 0)
        if kind == "response.output_text.delta":
            yield ("text", oi, event.get("content_index", 0)), Slot("", event, "delta"), True
        elif kind == "response.output_text.done":
            yield ("text", oi, event.get("content_index", 0)), Slot("", event, "text"), False
        elif kind == "response.refusal.delta":
            yield ("text", oi, event.get("content_index", 0)), Slot("", event, "delta"), True
        elif kind == "response.refusal.done":
            yield ("text", oi, event.get("content_index", 0)), Slot("", event, "refusal"), False
        elif kind == "response.function_call_arguments.delta":
            yield ("args", oi), Slot("", event, "delta"), True
        elif kind == "response.function_call_arguments.done":
            yield ("args", oi), Slot("", event, "arguments"), False
        elif kind == "response.reasoning_summary_text.delta":
            yield ("sum", oi, event.get("summary_index", 0)), Slot("", event, "delta"), True
        elif kind == "response.reasoning_summary_text.done":
            yield ("sum", oi, event.get("summary_index", 0)), Slot("", event, "text"), False
        elif kind in ("response.content_part.done", "response.content_part.added"):
            part = event.get("part")
            if isinstance(part, dict):
                for key in ("text", "refusal"):
                    if isinstance(part.get(key), str):
                        ci = event.get("content_index", 0)
                        yield ("text", oi, ci), Slot("", part, key), False
        elif kind in ("response.output_item.done", "response.output_item.added"):
            item = event.get("item")
            if isinstance(item, dict):
                wrapper: dict[str, Any] = (
                    {"output": [{}] * oi + [item]} if isinstance(oi, int) else {}
                )
                for found, slot in _output_slots(RESPONSES, wrapper):
                    yield found, slot, False
        elif kind.startswith("response.") and isinstance(event.get("response"), dict):
            for found, slot in _output_slots(RESPONSES, event["response"]):
                yield found, slot, False

    def tool_calls(self) -> list[tuple[str, str, str]]:
        """(call id, function name, arguments) of every tool call the stream carries."""
        if self.api != CHAT:
            for event in reversed(self.events):
                if event.get("type") == "response.completed" and isinstance(
                    event.get("response"), dict
                ):
                    return [
                        (str(o.get("call_id", "")), o["name"], str(o.get("arguments", "")))
                        for o in event["response"].get("output") or []
                        if isinstance(o, dict)
                        and o.get("type") == "function_call"
                        and isinstance(o.get("name"), str)
                    ]
            return []
        calls: dict[tuple[Any, Any], list[str]] = {}
        for chunk in self.events:
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta") if isinstance(choice, dict) else None
                for call in (delta or {}).get("tool_calls") or []:
                    if not isinstance(call, dict):
                        continue
                    key = (choice.get("index", 0), call.get("index", 0))
                    found = calls.setdefault(key, ["", "", ""])
                    fn = call.get("function") or {}
                    found[0] = found[0] or str(call.get("id") or "")
                    found[1] = found[1] or str(fn.get("name") or "")
                    found[2] += str(fn.get("arguments") or "")
        return [(i, n, a) for i, n, a in calls.values() if n]

    def texts(self) -> dict[tuple[Any, ...], tuple[str, str]]:
        found: dict[tuple[Any, ...], tuple[str, str]] = {}
        if self.api == CHAT:
            for chunk in self.events:
                for key, slot in self._chat_keys(chunk):
                    label, text = found.get(key, (slot.label, ""))
                    found[key] = (label, text + slot.text)
            return found
        deltas: dict[tuple[Any, ...], str] = {}
        finals: dict[tuple[Any, ...], str] = {}
        for event in self.events:
            for key, slot, is_delta in self._responses_keys(event):
                if is_delta:
                    deltas[key] = deltas.get(key, "") + slot.text
                elif slot.text or key not in finals:
                    finals[key] = slot.text
        for key in [*deltas, *(k for k in finals if k not in deltas)]:
            label = "output[{}].{}".format(key[1], "/".join(map(str, (key[0], *key[2:]))))
            found[key] = (label, finals.get(key) or deltas.get(key, ""))
        return found

    def rewrite(self, treated: dict[tuple[Any, ...], str]) -> None:
        seen: set[tuple[Any, ...]] = set()
        for event in self.events:
            if self.api == CHAT:
                pairs = [(k, s, True) for k, s in self._chat_keys(event)]
            else:
                pairs = list(self._responses_keys(event))
            for key, slot, is_delta in pairs:
                if key not in treated:
                    continue
                if not is_delta:
                    if slot.text:
                        slot.put(treated[key])
                elif key in seen:
                    slot.put("")
                else:
                    seen.add(key)
                    slot.put(treated[key])


def parse_sse(raw: bytes) -> tuple[list[Any], bool]:
    """The JSON events of an SSE body, and whether it ended with ``[DONE]``.

    Raises ValueError on anything that is not SSE with JSON data.
    """
    events: list[Any] = []
    done = False
    for block in raw.decode("utf-8").replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].lstrip() for line in block.split("\n") if line.startswith("data:")]
        if not data:
            continue
        payload = "\n".join(data)
        if payload == "[DONE]":
            done = True
            continue
        event = json.loads(payload)
        if not isinstance(event, dict):
            raise ValueError("an SSE event is not a JSON object")
        events.append(event)
    return events, done


def render_sse(api: str, events: list[Any], done: bool) -> bytes:
    parts = []
    for event in events:
        data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        if api == RESPONSES and isinstance(event.get("type"), str):
            parts.append(f"event: {event['type']}\ndata: {data}\n\n")
        else:
            parts.append(f"data: {data}\n\n")
    if done:
        parts.append("data: [DONE]\n\n")
    return "".join(parts).encode()
