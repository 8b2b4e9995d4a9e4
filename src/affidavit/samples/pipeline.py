"""The demo's agents: triage -> correlation -> response, in the path of both gateways.

Each agent talks OpenAI-style HTTP to the model gateway with its own Affidavit
token, and MCP to its own MCP gateway; it never calls Affidavit itself, yet every
model call and tool call is treated, decided and recorded. What the agents do is
whatever the model answers: the rule-based demo model, or a real one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from mcp import Client
from mcp.types import RequestParamsMeta

from affidavit.errors import InputError

__all__ = ["TOOLS", "CaseRun", "Pipeline", "ToolOutcome"]


def _tool(name: str, description: str, **properties: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {k: {"type": v} for k, v in properties.items()},
                "required": [next(iter(properties))],
            },
        },
    }


TOOLS = {
    "correlation": [
        _tool("lookup_ip", "Reputation of an IP address.", ip="string"),
        _tool("lookup_host", "The EDR's record of a host.", hostname="string"),
    ],
    "response": [
        _tool(
            "isolate_host",
            "Isolate a host.",
            hostname="string",
            reason="string",
            confidence="number",
        ),
        _tool("disable_account", "Disable an account.", user="string", reason="string"),
        _tool("block_ip", "Block an IP address at the firewall.", ip="string", reason="string"),
        _tool("wipe_host", "Erase and reinstall a host.", hostname="string"),
    ],
}
_SYSTEM = {
    "triage": "role: triage. Decide whether the alert is a true positive. Answer JSON.",
    "correlation": "role: correlation. Look up the entities, then summarise the evidence.",
    "response": "role: response. Contain the threat with the tools you have.",
}


@dataclass(frozen=True)
class ToolOutcome:
    agent: str
    tool: str
    arguments: dict[str, Any]
    text: str
    error: bool
    proposal: str | None
    status: str | None
    step: str | None


@dataclass
class CaseRun:
    case: str
    steps: list[str] = field(default_factory=list)
    tools: list[ToolOutcome] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


class Pipeline:
    def __init__(
        self,
        *,
        model_url: str,
        model: str,
        tokens: dict[str, str],
        tools: dict[str, Client],
        http: httpx.AsyncClient,
    ) -> None:
        self.model_url = model_url.rstrip("/")
        self.model = model
        self.tokens = tokens
        self.tools = tools
        self.http = http
        self.model_calls = 0

    async def chat(
        self,
        agent: str,
        case: str,
        messages: list[dict[str, Any]],
        *,
        parents: tuple[str, ...] = (),
    ) -> tuple[dict[str, Any], str]:
        """One model call through the gateway; the answer and the step that recorded it."""
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": 0}
        if agent in TOOLS:
            body["tools"] = TOOLS[agent]
        headers = {
            "Authorization": f"Bearer {self.tokens[agent]}",
            "X-Affidavit-Case": case,
            "X-Affidavit-Model-Version": "demo",
        }
        if parents:
            headers["X-Affidavit-Parents"] = ",".join(parents)
        self.model_calls += 1
        response = await self.http.post(
            f"{self.model_url}/chat/completions", json=body, headers=headers
        )
        if response.status_code != 200:
            message = response.json().get("error", {}).get("message", response.text[:200])
            raise InputError(
                f"{agent}: the model gateway answered {response.status_code}: {message}"
            )
        return response.json()["choices"][0]["message"], response.headers["x-affidavit-step"]

    async def call_tool(
        self, agent: str, case: str, name: str, arguments: dict[str, Any]
    ) -> ToolOutcome:
        """One tool call through the agent's MCP gateway, recorded in ``case``."""
        request: RequestParamsMeta = {"affidavit/case": case}  # type: ignore[typeddict-unknown-key]
        result = await self.tools[agent].call_tool(name, arguments, meta=request)
        meta: dict[str, Any] = dict(result.meta or {})
        text = "".join(getattr(block, "text", "") for block in result.content)
        return ToolOutcome(
            agent=agent,
            tool=name,
            arguments=arguments,
            text=text,
            error=bool(result.is_error),
            proposal=_text(meta.get("affidavit/proposal")),
            status=_text(meta.get("affidavit/status")),
            step=_text(meta.get("affidavit/step")),
        )

    async def _tool_calls(
        self, agent: str, message: dict[str, Any], run: CaseRun
    ) -> list[dict[str, Any]]:
        """Run the model's tool calls through the MCP gateway; the tool messages to send back."""
        replies = []
        for call in message.get("tool_calls") or []:
            fn = call.get("function", {})
            try:
                arguments = json.loads(fn.get("arguments") or "{}")
            except ValueError:
                arguments = {}
            outcome = await self.call_tool(agent, run.case, str(fn.get("name")), arguments)
            run.tools.append(outcome)
            replies.append(
                {"role": "tool", "tool_call_id": call.get("id"), "content": outcome.text}
            )
        return replies

    async def work(self, case: str, facts: str, raw_alert: str) -> CaseRun:
        run = CaseRun(case)
        triage, step = await self.chat(
            "triage",
            case,
            [
                {"role": "system", "content": _SYSTEM["triage"]},
                {"role": "user", "content": f"{facts}\n\nraw alert:\n{raw_alert}"},
            ],
        )
        run.steps.append(step)
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": _SYSTEM["correlation"]},
            {"role": "user", "content": f"{facts}\n\ntriage verdict: {triage.get('content')}"},
        ]
        answer, step = await self.chat("correlation", case, messages, parents=(step,))
        run.steps.append(step)
        for _ in range(3):  # the model may call tools a few times before it summarises
            if not answer.get("tool_calls"):
                break
            replies = await self._tool_calls("correlation", answer, run)
            messages += [answer, *replies]
            answer, step = await self.chat("correlation", case, messages, parents=(run.steps[0],))
            run.steps.append(step)
        summary = answer.get("content") or ""
        answer, step = await self.chat(
            "response",
            case,
            [
                {"role": "system", "content": _SYSTEM["response"]},
                {"role": "user", "content": f"{facts}\n\ncorrelation: {summary}"},
            ],
            parents=(run.steps[-1],),
        )
        run.steps.append(step)
        await self._tool_calls("response", answer, run)
        return run
