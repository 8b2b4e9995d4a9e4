"""The MCP tool gateway: an MCP server in front of an upstream MCP server.

The agent's MCP client sees the upstream's tools. Each call is recorded as a step
(arguments treated under the agent's data policy, results treated before the
agent sees them), mapped to a catalog action (see :mod:`affidavit.sdk.mapping`)
and decided by policy through a proposal: an allowed call is forwarded, a gated
one answers "awaiting approval" with the proposal id (or waits up to ``wait_s``)
and runs when it is called again once approved, a denied one answers the reason.
A failure of the upstream (it crashed, timed out, broke the protocol) is recorded
as the step's output and answered as a tool error.

The upstream acts, so the gateway proposes with ``executor="caller"`` (Affidavit's
executor never runs these proposals), claims the single-use authorization before it
forwards (a used one refuses the call: one authorization, one execution), and ends
the execution in the write that records the tool's answer. See docs/gateways.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import mcp.types as types
from mcp import Client, StdioServerParameters
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from affidavit import canonical
from affidavit.errors import AffidavitError, Conflict, InputError
from affidavit.gateway._agents import complete_treated, record_failure
from affidavit.gateway._segments import join_segments, split_segments
from affidavit.sdk import AsyncClient, AsyncProposal, AsyncStep
from affidavit.sdk.mapping import ToolMapping
from affidavit.sdk.outcomes import GO, why

__all__ = ["McpGateway", "McpGatewaySettings", "build_server", "open_gateway", "run_stdio"]

log = logging.getLogger("affidavit.gateway.mcp")
_STOP = ("denied", "expired")
META_PROPOSAL = "affidavit/proposal"
META_STATUS = "affidavit/status"
META_STEP = "affidavit/step"
META_CASE = "affidavit/case"


@dataclass(frozen=True)
class McpGatewaySettings:
    affidavit_url: str
    token: str = field(repr=False)
    upstream_command: tuple[str, ...] = ()
    upstream_url: str | None = None
    mapping: ToolMapping = field(default_factory=ToolMapping)
    case: str = "gateway"
    wait_s: float = 0.0
    """How long a gated call waits for approval before answering "awaiting approval"."""
    model: str = "mcp"
    """The model name tool steps are recorded under (the agent's allowed models apply)."""
    call_timeout_s: float = 120.0

    in_process: bool = False
    """The upstream is given as a connected client (the demo), not by command or URL."""

    def __post_init__(self) -> None:
        if not self.in_process and bool(self.upstream_command) == bool(self.upstream_url):
            raise InputError("give exactly one upstream: a command (stdio) or a URL")
        if self.upstream_url and not self.upstream_url.startswith(("http://", "https://")):
            raise InputError("the upstream URL must be http:// or https://")
        if not 0 <= self.wait_s <= 3600:
            raise InputError("the approval wait must be between 0 and 3600 seconds")
        if not 0 < self.call_timeout_s <= 3600:
            raise InputError("the tool call timeout must be between 0 and 3600 seconds")


def _leaves(value: Any, where: str, out: list[tuple[str, str]]) -> None:
    """Each argument as its own text (strings raw, so detectors see them unescaped)."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _leaves(inner, f"{where}.{key}", out)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            _leaves(inner, f"{where}[{i}]", out)
    elif isinstance(value, str):
        out.append((where, value))
    else:
        out.append((where, json.dumps(value)))


def _result(text: str, *, error: bool, **meta: str) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        is_error=error,
        _meta={f"affidavit/{k}": v for k, v in meta.items()} or None,
    )


class McpGateway:
    """The tool-call path: record, decide, forward, record, treat."""

    def __init__(self, settings: McpGatewaySettings, upstream: Client, sdk: AsyncClient) -> None:
        self.settings = settings
        self.upstream = upstream
        self.sdk = sdk
        self.upstream_name = "upstream"
        # proposals of gated calls, by what they would do: calling again once approved runs it
        self._pending: dict[str, str] = {}

    @property
    def _connector(self) -> str:
        """What the ledger's executions name as the one who acted."""
        return f"gateway:{self.upstream_name}"[:64]

    async def list_tools(self) -> types.ListToolsResult:
        listed = await self.upstream.list_tools()
        # structured output cannot be treated by the data policy: tools answer text only
        tools = [t.model_copy(update={"output_schema": None}) for t in listed.tools]
        return types.ListToolsResult(tools=tools)

    async def call_tool(
        self, name: str, arguments: Mapping[str, Any], case: str | None = None
    ) -> types.CallToolResult:
        """One tool call; ``case`` (from the call's ``_meta["affidavit/case"]``) or the
        gateway's own case is where it is recorded."""
        case = case or self.settings.case
        spec = self.settings.mapping.get(name)
        leaves: list[tuple[str, str]] = []
        _leaves(dict(arguments), "arguments", leaves)
        step = self.sdk.step(
            case,
            model=self.settings.model,
            model_version=f"{self.upstream_name}/{name}"[:128],
            params={"tool": name[:128], "action": spec.action if spec else None},
        )
        labels = ["tool", *(label for label, _ in leaves)]
        try:
            await step.prepare(prompt=join_segments(labels, [name, *(t for _, t in leaves)]))
        except AffidavitError as exc:
            # refused before anything is recorded (bad token, blocked data, server down)
            return _result(f"refused by Affidavit: {exc.message}", error=True)
        try:
            return await self._decide_and_run(step, case, name, arguments)
        except AffidavitError as exc:
            await record_failure(step, "affidavit", exc.message)
            return _result(f"refused by Affidavit: {exc.message}", error=True, step=str(step.id))

    async def _decide_and_run(
        self, step: AsyncStep, case: str, name: str, arguments: Mapping[str, Any]
    ) -> types.CallToolResult:
        spec = self.settings.mapping.get(name)
        proposal: AsyncProposal | None = None
        if spec is None:
            if self.settings.mapping.unmapped != "allow":
                message = (
                    f"denied: tool {name} is not mapped to a catalog action, and the "
                    "gateway's mapping denies unmapped tools"
                )
                return await self._refuse(step, message)
        else:
            try:
                mapped = spec.apply(arguments)
            except InputError as exc:
                return await self._refuse(step, f"denied: {exc.message}")
            key = canonical.sha256_hex(
                {
                    "case": case,
                    "action": mapped.action,
                    "target": mapped.target,
                    "params": mapped.params,
                }
            )
            earlier = self._pending.get(key)
            if earlier is not None:
                proposal = await self.sdk.proposal(earlier)
                if proposal.status in _STOP or proposal.status not in (*GO, "pending_approval"):
                    self._pending.pop(key, None)
                    proposal = None
            if proposal is None:
                try:
                    # the upstream acts, so Affidavit's executor must not act too
                    evidence = [f"step:{step.id}"]
                    proposal = await self.sdk.propose(
                        case, mapped.action, **mapped.caller_proposal(evidence, self._connector)
                    )
                except InputError as exc:
                    return await self._refuse(step, f"denied: {exc.message}")
            if proposal.status == "pending_approval" and self.settings.wait_s > 0:
                await proposal.wait(self.settings.wait_s)
            if proposal.status == "pending_approval":
                self._pending[key] = proposal.id
                return await self._refuse(
                    step,
                    f"awaiting approval: proposal {proposal.id} ({mapped.action} on "
                    f"{mapped.target}) needs {proposal.data.get('approvals_required', 1)} "
                    "approval(s). The tool did not run. Call it again with the same "
                    "arguments once the proposal is approved.",
                    proposal,
                )
            self._pending.pop(key, None)
            if proposal.status not in GO:
                full = await self.sdk.proposal(proposal.id)  # approvals and their rationales
                decision = None
                if full.data.get("effect") == "deny":
                    decision = await self.sdk.decision(proposal.id)
                return await self._refuse(
                    step,
                    f"denied: proposal {proposal.id} ({mapped.action} on {mapped.target}) "
                    f"is {proposal.status} ({why(full.data, decision)}). The tool did not run.",
                    proposal,
                )
        return await self._forward(step, name, arguments, proposal)

    async def _refuse(
        self, step: AsyncStep, message: str, proposal: AsyncProposal | None = None
    ) -> types.CallToolResult:
        await step.complete(message)
        meta = {"step": str(step.id)}
        if proposal is not None:
            meta.update(proposal=proposal.id, status=proposal.status)
        return _result(message, error=True, **meta)

    async def _forward(
        self,
        step: AsyncStep,
        name: str,
        arguments: Mapping[str, Any],
        proposal: AsyncProposal | None,
    ) -> types.CallToolResult:
        meta = {"step": str(step.id)}
        execution: str | None = None
        if proposal is not None:
            meta.update(proposal=proposal.id, status=proposal.status)
            # one authorization, one execution: consumed before the upstream acts, with
            # the proposal when the policy allowed it, else (approved since) now
            execution = proposal.data.get("execution")
            if execution is None:
                try:
                    claimed = await self.sdk.claim_execution(proposal.id, connector=self._connector)
                except Conflict as exc:
                    return await self._refuse(
                        step, f"refused: {exc.message}. The tool did not run again.", proposal
                    )
                execution = str(claimed["execution"])
            meta.update(status="running", execution=execution)
        try:
            async with asyncio.timeout(self.settings.call_timeout_s):
                result = await self.upstream.call_tool(name, dict(arguments))
        except TimeoutError:
            message = (
                f"the upstream tool {name} did not answer within {self.settings.call_timeout_s:g} s"
            )
            await record_failure(
                step, "upstream_timeout", message, execution=_ended(execution, meta, "failed")
            )
            return _result(f"{message} (recorded as step {step.id})", error=True, **meta)
        except Exception as exc:  # a crashed or broken upstream: anything it raises
            message = f"the upstream tool {name} failed: {type(exc).__name__}"
            await record_failure(
                step,
                "upstream_failed",
                message,
                str(exc)[:2000],
                execution=_ended(execution, meta, "failed"),
            )
            return _result(f"{message} (recorded as step {step.id})", error=True, **meta)
        texts: list[str] = []
        for block in result.content:
            if isinstance(block, types.TextContent):
                texts.append(block.text)
            else:
                texts.append(
                    f"[affidavit: a {block.type} result was withheld: the data policy "
                    "cannot check it]"
                )
        labels = [f"content[{i}]" for i in range(len(texts))]
        joined = join_segments(labels, texts)
        # the tool's answer is recorded and its execution ends, in one write
        ended = _ended(execution, meta, "failed" if result.is_error else "succeeded")
        treated = await complete_treated(step, joined, ended)
        if treated != joined:
            texts = split_segments(treated, len(texts))
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=t) for t in texts],
            is_error=bool(result.is_error),
            _meta={f"affidavit/{k}": v for k, v in meta.items()},
        )


def _ended(execution: str | None, meta: dict[str, str], status: str) -> dict[str, Any] | None:
    """How the gateway's own execution ended, for the step's completion (None: there is
    none, the call was unmapped); ``meta`` gets the proposal's status it leads to."""
    if execution is None:
        return None
    meta["status"] = "executed" if status == "succeeded" else "failed"
    return {"id": execution, "status": status}


def _upstream_client(settings: McpGatewaySettings) -> Client:
    if settings.upstream_url:
        return Client(settings.upstream_url)
    command, *args = settings.upstream_command
    # the tool server gets the gateway's environment, never the agent's Affidavit token
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFIDAVIT_")}
    return Client(StdioServerParameters(command=command, args=args, env=env))


def build_server(gateway: McpGateway) -> Server[Any]:
    """The agent-facing MCP server of ``gateway`` (served on stdio, or connected in-process)."""

    async def on_list_tools(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return await gateway.list_tools()

    async def on_call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        meta = params.meta or {}
        case = meta.get(META_CASE) if isinstance(meta, dict) else None
        return await gateway.call_tool(
            params.name, params.arguments or {}, case if isinstance(case, str) else None
        )

    return Server(
        "affidavit-gateway",
        version="1",
        instructions="Tool calls pass Affidavit: recorded, decided by policy, treated.",
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
    )


async def open_gateway(
    stack: AsyncExitStack, settings: McpGatewaySettings, upstream: Client | None = None
) -> McpGateway:
    """A gateway connected to Affidavit and to its upstream (given, or from the settings),
    both closed with ``stack``."""
    sdk = await stack.enter_async_context(AsyncClient(settings.affidavit_url, settings.token))
    upstream = await stack.enter_async_context(upstream or _upstream_client(settings))
    gateway = McpGateway(settings, upstream, sdk)
    info = upstream.server_info
    if info is not None:
        gateway.upstream_name = info.name[:64]
    return gateway


async def serve_stdio(settings: McpGatewaySettings) -> None:
    async with AsyncExitStack() as stack:
        server = build_server(await open_gateway(stack, settings))
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())


def run_stdio(settings: McpGatewaySettings) -> None:
    """Serve the gateway on stdin/stdout until the agent's client closes it."""
    asyncio.run(serve_stdio(settings))
