"""OpenAI Agents SDK: decide every function-tool call through an Affidavit proposal.

    guard = affidavit_guardrail(client, case, mapping, wait_s=30)
    tool = function_tool(isolate_host, tool_input_guardrails=[guard])

Allowed, the tool runs. Denied, the model gets the reason instead of a result.
Waiting for approval, the guardrail waits up to ``wait_s`` (long poll), then
answers "awaiting approval" with the proposal id; the same call made again after
the approval runs. Point the agent's model at ``affidavit gateway model`` to
record and treat the model calls too.
"""

from __future__ import annotations

import json
from typing import Any

from agents import ToolGuardrailFunctionOutput, ToolInputGuardrail
from agents.tool_guardrails import ToolInputGuardrailData

from affidavit import canonical
from affidavit.errors import AffidavitError, InputError
from affidavit.sdk.adapters._proposals import GO, call_ref, describe, map_call, why
from affidavit.sdk.async_client import AsyncClient, AsyncProposal
from affidavit.sdk.mapping import ToolMapping

__all__ = ["affidavit_guardrail"]


def affidavit_guardrail(
    client: AsyncClient, case: str, mapping: ToolMapping, *, wait_s: float = 0.0
) -> ToolInputGuardrail[Any]:
    """A tool input guardrail deciding each call by policy; attach it to function tools."""
    waiting: dict[str, str] = {}  # what a gated call would do -> its proposal

    async def affidavit(data: ToolInputGuardrailData) -> ToolGuardrailFunctionOutput:
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
            proposal: AsyncProposal | None = None
            if key in waiting:
                proposal = await client.proposal(waiting[key])
            if proposal is None:
                proposal = await client.propose(
                    case,
                    mapped.action,
                    target=mapped.target,
                    params=mapped.params,
                    confidence=mapped.confidence,
                    rationale=mapped.rationale,
                    evidence=[call_ref(context.tool_call_id)],
                )
            if proposal.status == "pending_approval" and wait_s > 0:
                await proposal.wait(wait_s)
        except AffidavitError as exc:
            return ToolGuardrailFunctionOutput.reject_content(
                f"refused by Affidavit: {exc.message}"
            )
        info = {"proposal": proposal.id, "status": proposal.status}
        if proposal.status == "pending_approval":
            waiting[key] = proposal.id
        else:
            waiting.pop(key, None)
        if proposal.status in GO:
            return ToolGuardrailFunctionOutput.allow(output_info=info)
        reason = ""
        if proposal.status != "pending_approval":
            try:
                full = await client.proposal(proposal.id)  # with approvals and rationales
                denied_by_policy = full.data.get("effect") == "deny"
                decision = await client.decision(proposal.id) if denied_by_policy else None
                reason = why(full.data, decision)
            except AffidavitError:
                reason = ""
        message = describe(proposal.id, proposal.status, mapped, reason)
        return ToolGuardrailFunctionOutput.reject_content(message, output_info=info)

    return ToolInputGuardrail(guardrail_function=affidavit, name="affidavit")
