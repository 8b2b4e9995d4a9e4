"""LangGraph / LangChain: record model calls as steps; govern tool calls with proposals.

    handler = AffidavitCallbackHandler(client, case)           # records each model call
    tools = [governed_tool(t, client, case, mapping) for t in tools]
    graph.invoke(state, {"callbacks": [handler], "configurable": {"thread_id": ...}})

A governed tool call is proposed with ``executor="caller"``: Affidavit's executor
never runs it; this wrapper runs the tool once, under the proposal's single-use
authorization (claimed before the tool runs, reported after). Allowed, it runs;
denied, the tool answers the reason; waiting for approval, the graph pauses through
``interrupt`` (a checkpointer is needed) with the proposal id, and resuming it
(``Command(resume=...)``) after the decision runs the tool or answers the denial.
The callback handler records what was sent and returned; it cannot change what
the model receives: for that, point the model at ``affidavit gateway model``.
A data policy that blocks a prompt stops the call (the handler raises).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage, ToolMessage
from langchain_core.outputs import LLMResult
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.types import interrupt
from pydantic import ConfigDict

from affidavit.errors import Conflict, InputError
from affidavit.sdk.adapters._proposals import (
    already_ran,
    claim,
    describe,
    map_call,
    outcome,
    sync_proposal,
    why,
)
from affidavit.sdk.client import Client, Step
from affidavit.sdk.mapping import ToolMapping

__all__ = ["CONNECTOR", "AffidavitCallbackHandler", "GovernedTool", "governed_tool"]

CONNECTOR = "adapter:langgraph"
"""The connector name this adapter's executions are recorded under."""


def _content(message: BaseMessage) -> str:
    content = message.content
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    calls = getattr(message, "tool_calls", None)
    if calls:
        text += "\n" + json.dumps(
            [{"name": c["name"], "args": c["args"]} for c in calls], ensure_ascii=False
        )
    return text


class AffidavitCallbackHandler(BaseCallbackHandler):
    """Each chat-model call becomes a step: prepared with what was sent, completed with
    what came back (or the error). ``step_ids`` lists the steps recorded, in order."""

    raise_error = True  # a refused step (blocked data, bad token) stops the model call

    def __init__(self, client: Client, case: str, *, model_version: str = "unspecified") -> None:
        self.client = client
        self.case = case
        self.model_version = model_version
        self.step_ids: list[str] = []
        self._open: dict[UUID, Step] = {}

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        params = kwargs.get("invocation_params") or {}
        metadata = kwargs.get("metadata") or {}
        model = str(params.get("model") or metadata.get("ls_model_name") or "unknown")[:128]
        prompt = "\n\n".join(f"[{m.type}] {_content(m)}" for batch in messages for m in batch)
        step = self.client.step(
            self.case,
            model=model,
            model_version=self.model_version,
            params={"framework": "langchain"},
        )
        step.prepare(prompt=prompt)
        self._open[run_id] = step

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        step = self._open.pop(run_id, None)
        if step is None:
            return
        parts = []
        for generations in response.generations:
            for generation in generations:
                message = getattr(generation, "message", None)
                parts.append(_content(message) if message is not None else generation.text)
        step.complete("\n\n".join(parts))
        self.step_ids.append(str(step.id))

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        step = self._open.pop(run_id, None)
        if step is None:
            return
        failure = {"error": {"kind": "model_error", "message": type(error).__name__}}
        step.complete(json.dumps(failure))
        self.step_ids.append(str(step.id))


@dataclass(frozen=True)
class _Refusal:
    text: str


class GovernedTool(BaseTool):
    """A tool whose every call is decided by Affidavit first (see the module docstring)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner: BaseTool
    client: Client
    case: str
    mapping: ToolMapping
    wait_s: float = 0.0

    def invoke(
        self, input: str | dict[str, Any] | Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Any:
        call = input if isinstance(input, dict) and input.get("type") == "tool_call" else None
        is_call = call is not None
        call_id = str(call["id"]) if call is not None and call.get("id") else None
        arguments = call["args"] if call is not None else input
        decided = self._decide(arguments if isinstance(arguments, dict) else {}, call_id)
        if isinstance(decided, _Refusal):
            if is_call:
                return ToolMessage(
                    content=decided.text, tool_call_id=call_id or "", name=self.name, status="error"
                )
            return decided.text
        if decided is None:  # an unmapped tool the mapping allows: nothing to claim
            return self.inner.invoke(input, config, **kwargs)
        try:
            result = self.inner.invoke(input, config, **kwargs)
        except Exception as exc:
            failure = {"error": type(exc).__name__}
            self.client.report_execution(decided, status="failed", detail=failure)
            raise
        self.client.report_execution(decided, status="succeeded", detail=outcome(result))
        return result

    def _decide(self, arguments: dict[str, Any], call_id: str | None) -> str | _Refusal | None:
        """The execution id the tool runs under, None when no proposal is needed, or
        what the tool answers instead of running."""
        try:
            mapped = map_call(self.mapping, self.name, arguments)
        except InputError as exc:
            return _Refusal(f"denied: {exc.message}")
        if mapped is None:
            return None
        try:
            proposal = sync_proposal(self.client, self.case, mapped, call_id, CONNECTOR)
        except InputError as exc:
            return _Refusal(f"denied: {exc.message}")
        if proposal.status == "pending_approval" and self.wait_s > 0:
            proposal.wait(self.wait_s)
        if proposal.status == "pending_approval":
            # the graph pauses here; resuming runs this node again, finding this proposal
            interrupt(
                {
                    "affidavit_proposal": proposal.id,
                    "action": mapped.action,
                    "target": mapped.target,
                    "message": describe(proposal.id, proposal.status, mapped),
                }
            )
            proposal.refresh()
        if proposal.status == "authorized":
            try:
                return claim(self.client, proposal, CONNECTOR)
            except Conflict:
                proposal.refresh()
                return _Refusal(already_ran(proposal.id, proposal.status))
        if proposal.status in ("executed", "failed"):
            return _Refusal(already_ran(proposal.id, proposal.status))
        proposal.refresh()  # the full record: approvals and their rationales
        decision = (
            self.client.decision(proposal.id) if proposal.data.get("effect") == "deny" else None
        )
        return _Refusal(
            describe(proposal.id, proposal.status, mapped, why(proposal.data, decision))
        )

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("run_manager", None)
        return self.inner.invoke(kwargs)


def governed_tool(
    tool: BaseTool,
    client: Client,
    case: str,
    mapping: ToolMapping,
    *,
    wait_s: float = 0.0,
) -> GovernedTool:
    """``tool``, governed: same name, description and arguments for the model."""
    return GovernedTool(
        name=tool.name,
        description=tool.description,
        args_schema=tool.args_schema,
        inner=tool,
        client=client,
        case=case,
        mapping=mapping,
        wait_s=wait_s,
    )


def governed_tools(
    tools: Sequence[BaseTool], client: Client, case: str, mapping: ToolMapping
) -> list[GovernedTool]:
    return [governed_tool(t, client, case, mapping) for t in tools]
