"""A real OpenAI Agents SDK run: the agent's model is the model gateway (in front of
the scripted upstream), its function tools are guarded by Affidavit proposals."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from agents import (
    Agent,
    OpenAIChatCompletionsModel,
    RunConfig,
    Runner,
    function_tool,
    set_tracing_disabled,
)
from openai import AsyncOpenAI

from affidavit.sdk import AsyncClient
from affidavit.sdk.adapters.openai_agents import affidavit_guardrails
from tests.gateway.conftest import SOC_MAPPING, ModelRig
from tests.gateway.upstream import Reply

AWS_KEY = "AKIAQ3EGRQ7HZ2XNV5PL"


def _run(rig: ModelRig, prompt: str, *, wait_s: float = 0.0) -> tuple[Any, list[str]]:
    ran: list[str] = []

    def isolate_host(hostname: str, reason: str = "", confidence: float = 0.9) -> str:
        """Isolate a host from the network."""
        ran.append(f"isolate_host {hostname}")
        return f"host {hostname} isolated"

    def lookup_ip(ip: str) -> str:
        """Reputation of an IP address."""
        ran.append(f"lookup_ip {ip}")
        return f"{ip}: malicious"

    async def main() -> Any:
        set_tracing_disabled(True)
        token = rig.live.tokens["agent"]
        async with AsyncClient(rig.live.url, token) as client:
            guards = affidavit_guardrails(client, "case-agents", SOC_MAPPING, wait_s=wait_s)
            openai_client = AsyncOpenAI(base_url=rig.url, api_key=token, max_retries=0)
            try:
                agent = Agent(
                    name="responder",
                    instructions="Contain threats.",
                    model=OpenAIChatCompletionsModel(model="soc-llm", openai_client=openai_client),
                    tools=[
                        guards.apply(function_tool(isolate_host)),
                        guards.apply(function_tool(lookup_ip)),
                    ],
                )
                return await Runner.run(
                    agent, prompt, run_config=RunConfig(tracing_disabled=True), max_turns=4
                )
            finally:
                await openai_client.close()

    return asyncio.run(main()), ran


def test_allowed_tool_runs_and_the_model_calls_are_recorded(
    model_gateway: Callable[..., ModelRig],
) -> None:
    rig = model_gateway()
    rig.upstream.script.extend(
        [Reply(tool_calls=[("lookup_ip", {"ip": "203.0.113.9"})]), Reply(content="it is bad")]
    )
    result, ran = _run(rig, f"check 203.0.113.9; the key {AWS_KEY} leaked")
    assert result.final_output == "it is bad"
    assert ran == ["lookup_ip 203.0.113.9"]
    assert AWS_KEY not in str(rig.upstream.received)  # the gateway masked it
    steps = rig.live.gov.steps_page(after=None, limit=10, case="case-gw", agent=None)
    assert len(steps) == 2  # both model calls, through the gateway
    [proposal] = rig.live.gov.proposals(case="case-agents")
    assert (proposal.action, proposal.status) == ("enrich_ip_reputation", "executed")
    _ran_once_by_the_adapter(rig, proposal.id)


def _ran_once_by_the_adapter(rig: ModelRig, proposal_id: str) -> None:
    """One execution, by the adapter, reported; Affidavit's own connectors never acted."""
    [execution] = rig.live.gov.executions_page(after=None, limit=10, proposal=proposal_id)
    assert (execution["connector"], execution["status"]) == ("adapter:openai-agents", "succeeded")
    assert set(execution["result"]["detail"]) == {"output_sha256"}  # a hash, never the output
    assert all(not c.executed for c in rig.live.connectors.values())


@pytest.mark.parametrize("decision", ["approve", "deny", None])
def test_gated_tool_waits_for_people(
    model_gateway: Callable[..., ModelRig], decision: str | None
) -> None:
    rig = model_gateway()
    args = {"hostname": "pc-sales-0215", "reason": "beaconing", "confidence": 0.9}
    rig.upstream.script.extend([Reply(tool_calls=[("isolate_host", args)]), Reply(content="done")])

    if decision is not None:
        # a person decides while the guardrail waits (long poll on the proposal)
        import threading
        import time

        def person() -> None:
            for _ in range(400):
                found = rig.live.gov.proposals(case="case-agents")
                if found:
                    break
                time.sleep(0.02)
            proposal = found[0].id
            with rig.live.client("approver") as approver:
                approver.get(f"/v1/proposals/{proposal}/evidence/0")
                body = {"rationale": "checked"}
                approver.post(f"/v1/proposals/{proposal}/{decision}", json=body)

        helper = threading.Thread(target=person)
        helper.start()
        result, ran = _run(rig, "contain pc-sales-0215", wait_s=20)
        helper.join(timeout=30)
    else:
        result, ran = _run(rig, "contain pc-sales-0215")
    tool_message = next(m for m in rig.upstream.received[-1]["messages"] if m.get("role") == "tool")
    if decision == "approve":
        assert ran == ["isolate_host pc-sales-0215"]
        assert tool_message["content"] == "host pc-sales-0215 isolated"
        [proposal] = rig.live.gov.proposals(case="case-agents")
        _ran_once_by_the_adapter(rig, proposal.id)
    else:
        assert ran == []
        expected = "denied by alice: checked" if decision == "deny" else "awaiting approval"
        assert expected in tool_message["content"]
    assert result.final_output == "done"
    assert rig.live.gov.ledger.verify().size == rig.live.size()
