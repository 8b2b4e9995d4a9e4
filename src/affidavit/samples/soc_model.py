"""A deterministic, rule-based "model" behind an OpenAI-compatible endpoint, for the demo.

It plays the three agents of the demo pipeline by the role named in the system
message (``role: triage|correlation|response``) and answers with the same output
for the same input: a JSON verdict, a tool call to look something up, or the
containment tool calls. It also counts what it was sent that looks like a
credential, so the demo can show that the planted secrets never reached it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["ModelState", "create_soc_model", "credentials_in"]

_CREDENTIAL = re.compile(
    r"AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|xox[abpr]-[A-Za-z0-9-]{10,}|eyJ[A-Za-z0-9_-]{10,}\.eyJ"
    r"|(?i:password|passwd|pwd)\s*[=:]\s*[^\s\[\\\"']{4,}"
)
_FIELD = re.compile(r"^(host|user|ip|title|severity|alert)\s*:\s*(\S.*)$", re.MULTILINE)


def credentials_in(text: str) -> int:
    """How many things in ``text`` look like a credential (the demo's own check)."""
    return len(_CREDENTIAL.findall(text))


@dataclass
class ModelState:
    calls: int = 0
    credentials_seen: int = 0
    placeholders_seen: int = 0
    roles: dict[str, int] = field(default_factory=dict)


def _fields(text: str) -> dict[str, str]:
    return {k: v.strip() for k, v in _FIELD.findall(text)}


def _call(name: str, arguments: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "id": f"call_{name}_{n}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments, sort_keys=True)},
    }


def _answer(role: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    user = "\n".join(str(m.get("content") or "") for m in messages if m.get("role") == "user")
    found = _fields(user)
    host, account, ip = found.get("host"), found.get("user"), found.get("ip")
    severity = found.get("severity", "medium")
    if role == "triage":
        verdict = {
            "verdict": "true_positive" if severity in ("critical", "high") else "needs_review",
            "confidence": 0.93 if severity == "critical" else 0.84,
            "host": host,
            "user": account,
            "ip": ip,
            "summary": f"{found.get('title', 'alert')} on {host or account or ip}",
        }
        return {"role": "assistant", "content": json.dumps(verdict, sort_keys=True)}
    if role == "correlation":
        tool_results = [m for m in messages if m.get("role") == "tool"]
        if not tool_results and (ip or host):
            call = (
                _call("lookup_ip", {"ip": ip}, 0)
                if ip
                else _call("lookup_host", {"hostname": host}, 0)
            )
            return {"role": "assistant", "content": None, "tool_calls": [call]}
        context = " ".join(str(m.get("content") or "") for m in tool_results)
        text = (
            f"Correlated: host {host or '-'}, user {account or '-'}, ip {ip or '-'}. "
            f"Intel: {context[:300]}. Recommend containment."
        )
        return {"role": "assistant", "content": text}
    calls = []
    if host:
        reason = f"{found.get('title', 'alert')[:120]}"
        confidence = 0.91 if severity == "critical" else 0.86
        calls.append(
            _call("isolate_host", {"hostname": host, "reason": reason, "confidence": confidence}, 0)
        )
    if account:
        calls.append(_call("disable_account", {"user": account, "reason": "credential misuse"}, 1))
    if ip and found.get("alert") == "exfiltration":
        calls.append(_call("block_ip", {"ip": ip, "reason": "active exfiltration"}, 2))
    if host and found.get("alert") == "ransomware":
        calls.append(_call("wipe_host", {"hostname": host}, 3))
    return {"role": "assistant", "content": None if calls else "No action.", "tool_calls": calls}


def create_soc_model(state: ModelState) -> Starlette:
    async def chat(request: Request) -> Response:
        body = await request.json()
        messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
        text = json.dumps(messages, ensure_ascii=False)
        state.calls += 1
        state.credentials_seen += credentials_in(text)
        state.placeholders_seen += text.count("[SECRET:") + text.count("[CREDENTIAL:")
        system = " ".join(str(m.get("content")) for m in messages if m.get("role") == "system")
        role = next(
            (r for r in ("triage", "correlation", "response") if f"role: {r}" in system), "triage"
        )
        state.roles[role] = state.roles.get(role, 0) + 1
        message = _answer(role, messages)
        if not message.get("tool_calls"):
            message.pop("tool_calls", None)
        return JSONResponse(
            {
                "id": f"chatcmpl-soc-{state.calls}",
                "object": "chat.completion",
                "created": 0,
                "model": str(body.get("model", "soc-rules")),
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            }
        )

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
