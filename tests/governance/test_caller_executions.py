"""Executions by the proposer itself (the MCP gateway): one authorization, one execution,
whichever path runs it (governance.caller_executions)."""

from __future__ import annotations

import pytest
from tests.governance.conftest import Cast
from tests.governance.test_governor import _assets

from affidavit.errors import Conflict, InputError, NotFound
from affidavit.governance.governor import Governor
from affidavit.governance.rebuild import replay_scratch, snapshot


def _started_and_finished(gov: Governor, proposal_id: str) -> list[str]:
    return [
        e.type
        for e in gov.ledger.entries()
        if e.type.startswith("execution.") and e.json()["body"]["proposal"] == proposal_id
    ]


def test_an_allowed_caller_proposal_is_executed_once_by_its_caller(
    gov: Governor, cast: Cast, connectors: dict
) -> None:
    assert gov.configuration().auto_execute
    proposal = gov.propose(
        cast.triage,
        case="CASE-1",
        action="enrich_ip_reputation",
        target="ip:203.0.113.7",
        executor="caller",
    )
    # auto-execution is on, but the caller acts: Affidavit's connector did not run
    assert (proposal.status, proposal.executor) == ("authorized", "caller")
    assert all(not c.executed for c in connectors.values())

    execution = gov.claim_execution(cast.triage, proposal.id, connector="gateway:soc-tools")
    assert gov.proposal(proposal.id).status == "authorized"
    # the same call replayed, while running and after: refused, so it cannot act twice
    with pytest.raises(Conflict, match="being executed by gateway:soc-tools"):
        gov.claim_execution(cast.triage, proposal.id, connector="gateway:soc-tools")
    with pytest.raises(Conflict, match="being executed"):
        gov.execute(proposal.id)  # nor can Affidavit's executor take it over

    assert gov.report_execution(
        cast.triage, execution, status="succeeded", detail={"step": "step_1"}
    ) == (proposal.id, "executed")
    with pytest.raises(Conflict, match="already used"):
        gov.claim_execution(cast.triage, proposal.id, connector="gateway:soc-tools")
    with pytest.raises(Conflict, match="already ended"):
        gov.report_execution(cast.triage, execution, status="failed")
    assert all(not c.executed for c in connectors.values())
    assert _started_and_finished(gov, proposal.id) == ["execution.started", "execution.finished"]
    [started] = [e for e in gov.ledger.entries() if e.type == "execution.started"]
    assert (started.actor, started.json()["body"]["connector"]) == (
        "agent:triage",
        "gateway:soc-tools",
    )
    gov.ledger.verify()


def test_an_approved_caller_proposal_is_not_auto_executed(
    gov: Governor, cast: Cast, connectors: dict, tmp_path: object
) -> None:
    _assets(gov, tmp_path)
    proposal = gov.propose(
        cast.triage,
        case="CASE-2",
        action="isolate_host",
        target="host:pc-sales-0215",
        confidence=0.9,
        evidence=["alert:edr-1"],
        executor="caller",
    )
    assert proposal.status == "pending_approval"
    gov.open_evidence(cast.alice, proposal.id, 0)
    assert gov.approve(cast.alice, proposal.id, rationale="confirmed").status == "authorized"
    assert all(not c.executed for c in connectors.values())
    execution = gov.claim_execution(cast.triage, proposal.id, connector="gateway:edr-tools")
    assert gov.report_execution(cast.triage, execution, status="failed") == (
        proposal.id,
        "failed",
    )
    assert _started_and_finished(gov, proposal.id) == ["execution.started", "execution.finished"]


def test_whichever_path_consumes_first_runs_it(gov: Governor, cast: Cast, connectors: dict) -> None:
    # an operator runs it through Affidavit's executor first: the caller may not act then
    proposal = gov.propose(
        cast.triage,
        case="CASE-3",
        action="enrich_ip_reputation",
        target="ip:203.0.113.8",
        executor="caller",
    )
    assert gov.execute(proposal.id) == "executed"
    with pytest.raises(Conflict, match="already used"):
        gov.claim_execution(cast.triage, proposal.id, connector="gateway:soc-tools")
    assert len(connectors["intel"].executed) == 1
    assert _started_and_finished(gov, proposal.id) == ["execution.started", "execution.finished"]


def test_only_the_proposer_of_a_caller_proposal_may_claim_it(gov: Governor, cast: Cast) -> None:
    ordinary = gov.propose(
        cast.triage, case="CASE-4", action="enrich_ip_reputation", target="ip:203.0.113.9"
    )
    assert ordinary.status == "executed"  # no executor given: Affidavit's executor ran it
    mine = gov.propose(
        cast.triage,
        case="CASE-4",
        action="enrich_ip_reputation",
        target="ip:203.0.113.10",
        executor="caller",
    )
    with pytest.raises(NotFound):
        gov.claim_execution(cast.responder, mine.id, connector="gateway:x")
    with pytest.raises(Conflict, match="executed by Affidavit's executor"):
        gov.claim_execution(cast.triage, ordinary.id, connector="gateway:x")
    execution = gov.claim_execution(cast.triage, mine.id, connector="gateway:x")
    with pytest.raises(NotFound):
        gov.report_execution(cast.responder, execution, status="succeeded")
    with pytest.raises(InputError):
        gov.report_execution(cast.triage, execution, status="running")
    with pytest.raises(InputError):
        gov.report_execution(cast.triage, execution, status="succeeded", detail={"x": "y" * 5000})
    with pytest.raises(InputError, match="executor"):
        gov.propose(
            cast.triage,
            case="CASE-4",
            action="enrich_ip_reputation",
            target="ip:203.0.113.11",
            executor="someone",
        )


def test_the_executor_field_is_rebuilt_from_the_ledger(gov: Governor, cast: Cast) -> None:
    proposal = gov.propose(
        cast.triage,
        case="CASE-5",
        action="enrich_ip_reputation",
        target="ip:203.0.113.12",
        executor="caller",
    )
    execution = gov.claim_execution(cast.triage, proposal.id, connector="gateway:x")
    gov.report_execution(cast.triage, execution, status="succeeded")
    with gov.ledger.db.read() as conn:
        live = snapshot(conn)
    with replay_scratch(gov.ledger) as scratch:
        assert snapshot(scratch) == live
    assert gov.rebuild_state().changed == {}
    assert gov.proposal(proposal.id).executor == "caller"


def test_an_allowed_proposal_is_claimed_in_the_write_that_creates_it(
    gov: Governor, cast: Cast, connectors: dict, tmp_path: object
) -> None:
    size = gov.ledger.size()
    proposal = gov.propose(
        cast.triage,
        case="CASE-6",
        action="enrich_ip_reputation",
        target="ip:203.0.113.20",
        executor="caller",
        claim="gateway:soc-tools",
    )
    assert proposal.execution is not None and proposal.status == "authorized"
    types = [e.type for e in gov.ledger.entries(start=size)]
    assert types[-3:] == ["proposal.created", "authorization.issued", "execution.started"]
    with pytest.raises(Conflict, match="being executed"):
        gov.claim_execution(cast.triage, proposal.id, connector="gateway:soc-tools")
    assert gov.report_execution(cast.triage, proposal.execution, status="succeeded")[1] == (
        "executed"
    )
    assert all(not c.executed for c in connectors.values())
    # a gated one is not claimed: it waits for people, then for the caller's claim
    _assets(gov, tmp_path)
    gated = gov.propose(
        cast.triage,
        case="CASE-6",
        action="isolate_host",
        target="host:pc-sales-0215",
        confidence=0.9,
        executor="caller",
        claim="gateway:soc-tools",
    )
    assert (gated.status, gated.execution) == ("pending_approval", None)
    assert "execution" not in gated.to_dict()
    with pytest.raises(InputError, match="executor caller"):
        gov.propose(
            cast.triage,
            case="CASE-6",
            action="enrich_ip_reputation",
            target="ip:203.0.113.21",
            claim="gateway:soc-tools",
        )


def test_the_step_completion_ends_the_execution_in_the_same_write(
    gov: Governor, cast: Cast
) -> None:
    prepared = gov.prepare_step(
        cast.triage, case="CASE-7", model="mcp", model_version="soc-tools/lookup_ip", prompt="x"
    )
    proposal = gov.propose(
        cast.triage,
        case="CASE-7",
        action="enrich_ip_reputation",
        target="ip:203.0.113.30",
        executor="caller",
        claim="gateway:soc-tools",
    )
    assert proposal.execution is not None
    # another agent cannot end it through its own step; nothing of that write remains
    other = gov.prepare_step(
        cast.responder, case="CASE-7", model="mcp", model_version="v", prompt="y"
    )
    size = gov.ledger.size()
    with pytest.raises(NotFound):
        gov.complete_step(
            cast.responder,
            other.id,
            output="z",
            execution={"id": proposal.execution, "status": "succeeded"},
        )
    assert gov.ledger.size() == size
    gov.complete_step(
        cast.triage,
        prepared.id,
        output="203.0.113.30: clean",
        execution={"id": proposal.execution, "status": "succeeded"},
    )
    added = list(gov.ledger.entries(start=size))
    assert [e.type for e in added] == ["step.recorded", "execution.finished"]
    assert added[1].json()["body"]["detail"] == {"step": prepared.id}
    assert gov.proposal(proposal.id).status == "executed"
