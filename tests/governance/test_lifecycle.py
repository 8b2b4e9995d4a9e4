"""The proposal state machine: one table, enforced by commands and again by the projector."""

from __future__ import annotations

import re

import pytest
from tests.conftest import REPO, Clock
from tests.governance.conftest import Cast, add_cast, make_governor

from affidavit.config import Settings
from affidavit.connectors import ActionResult, InMemoryConnector
from affidavit.errors import Conflict, InputError, VerificationError
from affidavit.governance import events as ev
from affidavit.governance import lifecycle, projection
from affidavit.governance.governor import Governor
from affidavit.ledger.log import Ledger


def test_rejecting_a_pending_recommendation_withdraws_it(gov: Governor, cast: Cast) -> None:
    pending = gov.propose(
        cast.triage, case="C", action="block_ip", target="ip:198.51.100.1", evidence=["alert:t-1"]
    )
    assert pending.status == "pending_approval"
    seq = gov.dispose(
        cast.alice, pending.id, outcome="rejected", reason="false_positive", rationale="scanner"
    )
    assert gov.proposal(pending.id).status == "withdrawn"
    [withdrawn] = [e for e in gov.ledger.entries(case="C") if e.type == "proposal.withdrawn"]
    assert withdrawn.body == {"proposal": pending.id, "disposition": seq}
    with pytest.raises(Conflict, match="withdrawn, not pending"):
        gov.approve(cast.bob, pending.id, rationale="too late")
    with pytest.raises(Conflict, match="withdrawn, not pending"):
        gov.breakglass(cast.bob, pending.id, justification="hurry")
    assert gov.proposals(status="withdrawn") == [gov.proposal(pending.id)]


def test_an_authorized_recommendation_withdrawn_is_never_executed(
    ledger: Ledger,
    settings: Settings,
    clock: Clock,
    connectors: dict[str, InMemoryConnector],
) -> None:
    gov = make_governor(ledger, settings, clock, connectors, auto_execute=False)
    cast = add_cast(gov)
    enrich = gov.propose(
        cast.triage,
        case="C",
        action="enrich_ip_reputation",
        target="ip:198.51.100.2",
        evidence=["alert:t-1"],
    )
    assert enrich.status == "authorized"
    gov.dispose(
        cast.alice,
        enrich.id,
        outcome="modified",
        reason="scope_change",
        rationale="enrich the whole range instead",
    )
    with pytest.raises(Conflict, match="is withdrawn; it is not executed"):
        gov.execute(enrich.id)
    assert connectors["intel"].executed == []


def test_an_executed_action_cannot_be_said_to_be_rejected(gov: Governor, cast: Cast) -> None:
    done = gov.propose(
        cast.triage,
        case="C",
        action="enrich_ip_reputation",
        target="ip:192.0.2.1",
        evidence=["alert:t-1"],
    )
    assert done.status == "executed"
    for outcome in ("rejected", "overridden", "modified"):
        with pytest.raises(Conflict, match=f"cannot say it was {outcome}"):
            gov.dispose(
                cast.alice,
                done.id,
                outcome=outcome,
                reason="other",
                rationale="x",
                override_with=done.id if outcome == "overridden" else None,
            )
    gov.dispose(cast.alice, done.id, outcome="accepted", reason="true_positive")
    assert gov.proposal(done.id).status == "executed"


def test_a_failed_action_cannot_be_rejected_but_can_be_overridden(
    gov: Governor, cast: Cast, connectors: dict[str, InMemoryConnector]
) -> None:
    connectors["intel"].set_outcome(
        "enrich_ip_reputation", ActionResult("failed", {"error": "feed down"})
    )
    failed = gov.propose(
        cast.alice,
        case="C",
        action="enrich_ip_reputation",
        target="ip:192.0.2.2",
        evidence=["alert:t-1"],
    )
    other = gov.propose(cast.alice, case="C", action="add_case_note", target="case:C", params={"text": "x"}, evidence=["alert:t-1"])  # fmt: skip
    assert failed.status == "failed"
    with pytest.raises(Conflict, match="cannot say it was rejected"):
        gov.dispose(cast.bob, failed.id, outcome="rejected", reason="other", rationale="x")
    gov.dispose(
        cast.bob,
        failed.id,
        outcome="overridden",
        reason="better_alternative",
        rationale="noted it by hand",
        override_with=other.id,
    )
    assert gov.proposal(failed.id).status == "failed"


def test_a_second_disposition_supersedes_the_first_explicitly(gov: Governor, cast: Cast) -> None:
    denied = gov.propose(
        cast.triage, case="C", action="wipe_host", target="host:pc-1", evidence=["alert:t-1"]
    )
    first = gov.dispose(cast.alice, denied.id, outcome="accepted", reason="policy")
    with pytest.raises(Conflict, match=f"supersedes it explicitly \\(--supersedes {first}\\)"):
        gov.dispose(cast.bob, denied.id, outcome="rejected", reason="model_error", rationale="x")
    with pytest.raises(Conflict, match="already recorded"):
        gov.dispose(
            cast.bob,
            denied.id,
            outcome="rejected",
            reason="model_error",
            rationale="x",
            supersedes=first + 1000,
        )
    with pytest.raises(InputError, match="rationale"):
        gov.dispose(cast.bob, denied.id, outcome="accepted", reason="policy", supersedes=first)
    second = gov.dispose(
        cast.bob,
        denied.id,
        outcome="rejected",
        reason="model_error",
        rationale="wiping was never warranted",
        supersedes=first,
    )
    with pytest.raises(Conflict, match=f"ledger entry {second}"):
        gov.dispose(
            cast.carol,
            denied.id,
            outcome="accepted",
            reason="policy",
            rationale="x",
            supersedes=first,
        )
    [a, b] = gov.proposal_details(denied.id)["dispositions"]
    assert (a["seq"], a["supersedes"]) == (first, None)
    assert (b["actor"], b["supersedes"], b["rationale"]) == (
        "bob",
        first,
        "wiping was never warranted",
    )
    fresh = gov.propose(
        cast.triage, case="C", action="wipe_host", target="host:pc-2", evidence=["alert:t-1"]
    )
    with pytest.raises(Conflict, match="no disposition to supersede"):
        gov.dispose(
            cast.bob, fresh.id, outcome="accepted", reason="policy", rationale="x", supersedes=1
        )


def test_the_projector_refuses_a_transition_the_machine_does_not_allow(
    gov: Governor, cast: Cast
) -> None:
    done = gov.propose(
        cast.triage,
        case="C",
        action="enrich_ip_reputation",
        target="ip:192.0.2.9",
        evidence=["alert:t-1"],
    )
    size = gov.ledger.size()
    denial = ev.ApprovalDenied(actor="human:bob", case="C", proposal=done.id, rationale="no")
    with pytest.raises(Conflict, match=r"approval\.denied is not allowed"):
        gov.ledger.execute(lambda b: b.emit(denial), projector=projection.apply)
    assert gov.ledger.size() == size and gov.proposal(done.id).status == "executed"
    # Written without the projector (as a forger with the ledger key could), the entry
    # makes the ledger contradict itself: replaying it fails.
    gov.ledger.execute(lambda b: b.emit(denial))
    with pytest.raises(VerificationError, match="impossible change"):
        gov.rebuild_state()
    assert gov.proposal(done.id).status == "executed"  # the rebuild rolled back whole


def _doc_table(heading: str) -> list[list[str]]:
    text = (REPO / "docs" / "governance.md").read_text()
    section = text.split(heading, 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def _states(cell: str) -> frozenset[str]:
    if cell == "any status":
        return frozenset(lifecycle.STATES)
    return frozenset(re.findall(r"`([a-z_]+)`", cell))


def test_the_documented_state_machine_is_the_code() -> None:
    rows = _doc_table("## The proposal state machine")
    transitions = {}
    for entry, sources, leads_to in rows[1:11]:
        name = entry.split("`")[1]
        variant = entry.split("(")[1].rstrip(")") if "(" in entry else ""
        transitions[name, variant] = (_states(sources), leads_to)
    for (cls, variant), (sources, target) in lifecycle.TRANSITIONS.items():
        doc_sources, doc_target = transitions[cls.type, variant]
        assert doc_sources == sources, cls.type
        assert doc_target == f"`{target}`", cls.type
    for cls, sources in lifecycle.REQUIRES.items():
        assert transitions[cls.type, ""][0] == sources
    outcomes = {row[0].strip("`"): _states(row[1]) for row in rows[11:] if row[0] != "outcome"}
    outcomes = {k: v for k, v in outcomes.items() if k in lifecycle.DISPOSITIONS}
    assert outcomes == dict(lifecycle.DISPOSITIONS)
