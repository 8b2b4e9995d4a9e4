"""The SDK against the live server over real HTTP: agent -> approver -> executor ->
disposition; typed errors; retries reuse one idempotency key."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

import affidavit
from affidavit import AsyncClient, Client
from affidavit.errors import AuthError, Forbidden, InputError, NotFound, PolicyError
from tests.api.conftest import Live

ALERT = {"title": "beacon to 203.0.113.7 from pc-sales-0215", "user": "jdoe@corp.example"}


@pytest.fixture
def configuration() -> dict[str, object]:
    return {"auto_execute": False}  # an executor identity acts


def test_agent_approver_executor_disposition(live: Live) -> None:
    agent = Client(live.url, live.tokens["agent"])
    alice = Client(live.url, live.tokens["approver"])
    executor = Client(live.url, live.tokens["integration"])
    analyst = Client(live.url, live.tokens["analyst"])
    with agent.step("CASE-42", model="gpt-x", model_version="2026-05") as step:
        prepared = step.prepare(prompt="Triage this alert", inputs=[ALERT])
        assert prepared.step_id and prepared.inputs[0]
        step.complete("isolate pc-sales-0215: confirmed C2 beaconing")
    proposal = step.propose(
        "isolate_host",
        target="host:pc-sales-0215",
        confidence=0.91,
        rationale="C2 beacon",
        evidence=[f"step:{prepared.step_id}"],
    )
    assert proposal.status == "pending_approval"
    assert proposal.data["step_id"] == prepared.step_id
    decided: list[str] = []
    waiter = threading.Thread(target=lambda: decided.append(proposal.wait(timeout=30)))
    waiter.start()
    alice.view_evidence(proposal.id)
    assert alice.open_evidence(proposal.id, 0)["reference"] == f"step:{prepared.step_id}"
    assert alice.approve(proposal.id, rationale="C2 confirmed").status == "authorized"
    waiter.join()
    assert decided == ["authorized"]
    assert executor.execute(proposal.id).status == "executed"
    assert [r.action for r in live.connectors["edr"].executed] == ["isolate_host"]
    seq = analyst.dispose(proposal.id, outcome="accepted", reason="true_positive")
    assert live.gov.ledger.entry(seq).type == "disposition.recorded"
    assert proposal.refresh().data["dispositions"][0]["outcome"] == "accepted"
    for c in (agent, alice, executor, analyst):
        c.close()
    live.gov.ledger.verify()


def test_errors_are_the_server_s_classes(live: Live) -> None:
    with Client(live.url, live.tokens["agent"]) as agent:
        with pytest.raises(Forbidden):
            agent.approve("prop_x", rationale="me")
        with pytest.raises(NotFound):
            agent.proposal("prop_nothing")
        with pytest.raises(InputError):
            agent.propose("C-1", "no_such_action", target="host:x")
        with pytest.raises(PolicyError):  # Forbidden is a PolicyError too
            agent.execute("prop_x")
    with Client(live.url, "afd_wrong", retries=0) as nobody, pytest.raises(AuthError):
        nobody.me()
    assert affidavit.Client is Client


def test_retries_resend_with_the_same_idempotency_key(live: Live) -> None:
    """A transport that fails the first delivery after the server answered: the retry
    gets the stored response, and the ledger has one proposal."""
    seen: list[str] = []

    class Flaky(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = super().handle_request(request)
            if request.method == "POST":
                seen.append(request.headers["idempotency-key"])
                if len(seen) == 1:
                    response.read()
                    raise httpx.ReadError("connection reset after the server answered")
            return response

    with Client(live.url, live.tokens["agent"], transport=Flaky()) as agent:
        proposal = agent.propose("C-r", "enrich_ip_reputation", target="ip:203.0.113.7")
    assert len(seen) == 2 and seen[0] == seen[1]
    assert [p.id for p in live.gov.proposals(case="C-r")] == [proposal.id]


def test_async_client(live: Live) -> None:
    async def main() -> str:
        async with AsyncClient(live.url, live.tokens["agent"]) as agent:
            async with agent.step("CASE-A", model="m", model_version="1") as step:
                await step.prepare(prompt="p", inputs=["alert text"])
                await step.complete("o")
            proposal = await step.propose("enrich_ip_reputation", target="ip:203.0.113.7")
            return await proposal.wait(timeout=10)

    assert asyncio.run(main()) == "authorized"
