"""OpenAI Agents SDK: decide every function-tool call through an Affidavit proposal.

    guards = affidavit_guardrails(client, case, mapping, wait_s=30)
    tool = guards.apply(function_tool(isolate_host))

The proposal is made with ``executor="caller"``: Affidavit's executor never runs it;
the agent's tool runs once, under the proposal's single-use authorization. The input
guardrail decides and claims that authorization before the tool runs; the output
guardrail reports how the run ended. Allowed, the tool runs. Denied, the model gets
the reason instead of a result. Waiting for approval, the input guardrail waits up
to ``wait_s`` (long poll), then answers "awaiting approval" with the proposal id;
the same call made again after the approval runs. Point the agent's model at
``affidavit gateway model`` to record and treat the model calls too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agents import FunctionTool, ToolGuardrailFunctionOutput, ToolInputGuardrail
from agents.tool_guardrails import (
    ToolInputGuardrailData,
    ToolOutputGuardrail,
    ToolOutputGuardrailData,
)

from affidavit import canonical
from affidavit.errors import AffidavitError, Conflict, InputError
from affidavit.sdk.adapters._proposals import (
    already_ran,
    call_ref,
    describe,
    map_call,
    outcome,
    why,
)
from affidavit.sdk.async_client import AsyncClient, AsyncProposal
from affidavit.sdk.mapping import Mapped, ToolMapping

__all__ = ["CONNECTOR", "Guardrails", "affidavit_guardrails"]

CONNECTOR = "adapter:openai-agents"
"""The connector name this adapter's executions are recorded under."""


@dataclass
class Guardrails:
    """The input guardrail (decide, claim) and the output guardrail (report) of one
    governed set of tools; attach both, or call ``apply``."""

    input: ToolInputGuardrail[Any]
    output: ToolOutputGuardrail[Any]

    def apply(self, tool: FunctionTool) -> FunctionTool:
        """``tool`` with both guardrails attached (after any it has)."""
        tool.tool_input_guardrails = [*(tool.tool_input_guardrails or []), self.input]
        tool.tool_output_guardrails = [*(tool.tool_output_guardrails or []), self.output]
        return tool


def affidavit_guardrails(
    client: AsyncClient, case: str, mapping: ToolMapping, *, wait_s: float = 0.0
) -> Guardrails:
    """Guardrails deciding each call by policy and recording its one execution."""
    waiting: dict[str, str] = {}  # what a gated call would do -> its proposal
    running: dict[str, str] = {}  # tool call id -> the execution it was allowed under

    async def decide(data: ToolInputGuardrailData) -> ToolGuardrailFunctionOutput:
        context = data.context
        try:
            arguments = json.loads(context.tool_arguments or "{}")
            mapped = map_call(
                mapping, context.tool_name, arguments if isinstance(arguments, dict) else {}
            )
        except (ValueError, InputError) as exc:
            message = exc.message if isinstance(exc, InputError) else "arguments are not JSON"
            return ToolGuardrailFunctionOutput.reject_content(f"denied: {message}")
        if mapped is None:
            return ToolGuardrailFunctionOutput.allow()
        key = canonical.sha256_hex(
            {"action": mapped.action, "target": mapped.target, "params": mapped.params}
        )
        try:
            proposal = await _proposal(client, case, mapped, waiting.get(key), context.tool_call_id)
            if proposal.status == "pending_approval" and wait_s > 0:
                await proposal.wait(wait_s)
            info = {"proposal": proposal.id, "status": proposal.status}
            if proposal.status == "pending_approval":
                waiting[key] = proposal.id
            else:
                waiting.pop(key, None)
            if proposal.status == "authorized":
                try:
                    execution = (
                        proposal.data.get("execution")
                        or (await client.claim_execution(proposal.id, connector=CONNECTOR))[
                            "execution"
                        ]
                    )
                except Conflict:
                    return ToolGuardrailFunctionOutput.reject_content(
                        already_ran(proposal.id, "authorized, and its run was claimed"),
                        output_info=info,
                    )
                running[context.tool_call_id] = str(execution)
                return ToolGuardrailFunctionOutput.allow(
                    output_info={**info, "execution": str(execution)}
                )
            if proposal.status in ("executed", "failed"):
                return ToolGuardrailFunctionOutput.reject_content(
                    already_ran(proposal.id, proposal.status), output_info=info
                )
            reason = "" if proposal.status == "pending_approval" else await _why(client, proposal)
        except AffidavitError as exc:
            return ToolGuardrailFunctionOutput.reject_content(
                f"refused by Affidavit: {exc.message}"
            )
        message = describe(proposal.id, proposal.status, mapped, reason)
        return ToolGuardrailFunctionOutput.reject_content(message, output_info=info)

    async def report(data: ToolOutputGuardrailData) -> ToolGuardrailFunctionOutput:
        execution = running.pop(data.context.tool_call_id, None)
        if execution is None:  # unmapped and allowed, or refused: nothing ran under a claim
            return ToolGuardrailFunctionOutput.allow()
        try:
            await client.report_execution(
                execution, status="succeeded", detail=outcome(data.output)
            )
        except AffidavitError as exc:
            # the tool ran; the model still gets its answer, and the run stays open
            # (visible as running) for a person to settle
            return ToolGuardrailFunctionOutput.allow(output_info={"report_error": exc.message})
        return ToolGuardrailFunctionOutput.allow(output_info={"execution": execution})

    return Guardrails(
        input=ToolInputGuardrail(guardrail_function=decide, name="affidavit"),
        output=ToolOutputGuardrail(guardrail_function=report, name="affidavit-report"),
    )


async def _proposal(
    client: AsyncClient, case: str, mapped: Mapped, earlier: str | None, call_id: str
) -> AsyncProposal:
    """The proposal a gated call made before (the same call again), or a new one."""
    if earlier is not None:
        return await client.proposal(earlier)
    # the agent's tool acts; Affidavit's executor must not
    evidence = [call_ref(call_id)]
    return await client.propose(case, mapped.action, **mapped.caller_proposal(evidence, CONNECTOR))


async def _why(client: AsyncClient, proposal: AsyncProposal) -> str:
    try:
        full = await client.proposal(proposal.id)  # with approvals and rationales
        denied_by_policy = full.data.get("effect") == "deny"
        decision = await client.decision(proposal.id) if denied_by_policy else None
        return why(full.data, decision)
    except AffidavitError:
        return ""
