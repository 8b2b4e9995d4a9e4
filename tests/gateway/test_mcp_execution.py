"""One authorization, one execution: with auto-execution on, a call the MCP gateway
forwards is executed by the upstream tool server alone, recorded as the gateway's
execution; Affidavit's connectors never run it too, and a replay is refused.

A real MCP client, `affidavit gateway mcp` as a subprocess, and the test SOC-tool server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcp import ClientSession

from tests.api.conftest import Live
from tests.gateway.test_mcp import _calls, _run, _text

ISOLATE = {"hostname": "pc-sales-0215", "reason": "C2 beaconing", "confidence": 0.95}


def _executions(live: Live, proposal_id: str) -> list[dict[str, Any]]:
    return list(live.gov.proposal_details(proposal_id)["executions"])


def _execution_entries(live: Live, proposal_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (e.type, e.actor, e.json()["body"])
        for e in live.gov.ledger.entries()
        if e.type.startswith("execution.") and e.json()["body"]["proposal"] == proposal_id
    ]


def _connectors_ran(live: Live) -> int:
    return sum(len(c.executed) for c in live.connectors.values())


def test_an_allowed_call_is_executed_once_by_the_upstream(live: Live, tmp_path: Path) -> None:
    assert live.gov.configuration().auto_execute

    async def scenario(session: ClientSession) -> Any:
        return await session.call_tool("lookup_ip", {"ip": "203.0.113.9"})

    got = _run(live, tmp_path, scenario)
    assert not got.is_error, _text(got)
    proposal = got.meta["affidavit/proposal"]
    assert got.meta["affidavit/status"] == "executed"
    assert [c["tool"] for c in _calls(tmp_path)] == ["lookup_ip"]  # the upstream, once
    assert _connectors_ran(live) == 0  # and Affidavit's connector not at all
    assert live.gov.proposal(proposal).status == "executed"
    [execution] = _executions(live, proposal)
    assert (execution["connector"], execution["status"]) == ("gateway:soc-tools", "succeeded")
    entries = _execution_entries(live, proposal)
    assert [(kind, actor) for kind, actor, _ in entries] == [
        ("execution.started", "agent:triage"),
        ("execution.finished", "agent:triage"),
    ]
    # the result is referenced by its step, never copied into the ledger's plaintext
    assert entries[1][2]["detail"] == {"step": got.meta["affidavit/step"]}
    assert live.gov.ledger.verify().size == live.size()


def test_an_approved_call_runs_once_and_its_replay_is_refused(live: Live, tmp_path: Path) -> None:
    async def scenario(session: ClientSession) -> tuple[Any, Any, Any]:
        first = await session.call_tool("isolate_host", ISOLATE)
        proposal = first.meta["affidavit/proposal"]
        with live.client("approver") as approver:
            assert approver.get(f"/v1/proposals/{proposal}/evidence/0").status_code == 200
            answer = approver.post(f"/v1/proposals/{proposal}/approve", json={"rationale": "ok"})
            assert answer.status_code == 200, answer.text
            # approved with auto-execution on: Affidavit's executor leaves it to the gateway
            assert answer.json()["status"] == "authorized"
        second = await session.call_tool("isolate_host", ISOLATE)
        # the agent's own replay of that authorization, past the gateway: refused
        with live.client("agent") as agent:
            replay = agent.post(
                f"/v1/proposals/{proposal}/executions", json={"connector": "gateway:x"}
            )
            assert replay.status_code == 409, replay.text
            assert "already used" in replay.json()["error"]["message"]
        third = await session.call_tool("isolate_host", ISOLATE)  # needs a new approval
        return first, second, third

    first, second, third = _run(live, tmp_path, scenario)
    proposal = first.meta["affidavit/proposal"]
    assert second.meta["affidavit/proposal"] == proposal and not second.is_error
    assert _text(second) == "host pc-sales-0215 isolated"
    assert third.is_error and "awaiting approval" in _text(third)
    assert third.meta["affidavit/proposal"] != proposal
    assert [c["tool"] for c in _calls(tmp_path)] == ["isolate_host"]  # once
    assert _connectors_ran(live) == 0
    assert [e[0] for e in _execution_entries(live, proposal)] == [
        "execution.started",
        "execution.finished",
    ]
    assert live.gov.ledger.verify().size == live.size()


def test_executed_by_affidavit_first_the_gateway_does_not_call_the_tool(
    live: Live, tmp_path: Path
) -> None:
    async def scenario(session: ClientSession) -> tuple[Any, Any]:
        first = await session.call_tool("isolate_host", ISOLATE)
        proposal = first.meta["affidavit/proposal"]
        with live.client("approver") as approver:
            approver.get(f"/v1/proposals/{proposal}/evidence/0")
            approver.post(f"/v1/proposals/{proposal}/approve", json={"rationale": "ok"})
        with live.client("admin") as admin:  # the other path runs it first
            ran = admin.post(f"/v1/proposals/{proposal}/execute")
            assert ran.status_code == 200 and ran.json()["status"] == "executed", ran.text
        return first, await session.call_tool("isolate_host", ISOLATE)

    first, second = _run(live, tmp_path, scenario)
    proposal = first.meta["affidavit/proposal"]
    assert second.is_error and "already used" in _text(second)
    assert "did not run again" in _text(second)
    assert _calls(tmp_path) == []  # the upstream was never called
    assert _connectors_ran(live) == 1
    assert len(_executions(live, proposal)) == 1
