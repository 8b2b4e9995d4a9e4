"""Friction in governance, whatever the path: tier 2 and above need a rationale and an
evidence item opened by the approver; the time from first view is in the approval entry;
the rubber-stamp signal is ledgered when shown; the separation reason in plain words."""

from __future__ import annotations

import pytest
from tests.conftest import Clock, configure
from tests.governance.conftest import Cast

from affidavit.errors import ConfigError, InputError, PolicyError
from affidavit.governance.friction import NEVER, FrictionRules, StampRules
from affidavit.governance.governor import Governor
from affidavit.governance.separation import separation_reason

EVIDENCE = ["alert:def-1", "entry:0"]


def _pending(gov: Governor, cast: Cast, target: str = "ip:198.51.100.4", **kw: object) -> str:
    kw.setdefault("evidence", EVIDENCE)
    made = gov.propose(cast.triage, case="C", action="block_ip", target=target, **kw)  # type: ignore[arg-type]
    assert made.status == "pending_approval"
    return made.id


def _entry(gov: Governor, kind: str) -> dict[str, object]:
    *_, last = (e for e in gov.ledger.entries() if e.type == kind)
    return last.body


def test_a_tier_2_approval_without_an_item_opened_is_refused_and_nothing_is_written(
    gov: Governor, cast: Cast
) -> None:
    pid = _pending(gov, cast)
    size = gov.ledger.size()
    with pytest.raises(PolicyError, match="open at least one evidence item"):
        gov.approve(cast.alice, pid, rationale="looks fine")
    gov.view_evidence(cast.alice, pid)  # "viewed the evidence" with one command: not enough
    with pytest.raises(PolicyError, match="open at least one evidence item"):
        gov.approve(cast.alice, pid, rationale="looks fine")
    gov.open_evidence(cast.bob, pid, 0)  # someone else's reading does not count
    with pytest.raises(PolicyError, match="open at least one evidence item"):
        gov.approve(cast.alice, pid, rationale="looks fine")
    assert gov.ledger.size() == size + 2  # the two views, no approval
    assert gov.open_evidence(cast.alice, pid, 1) == "entry:0"
    assert gov.approve(cast.alice, pid, rationale="scanner traffic confirmed").status in (
        "pending_approval",
        "executed",
    )
    gov.ledger.verify()


def test_a_tier_2_decision_without_a_rationale_is_refused(gov: Governor, cast: Cast) -> None:
    pid = _pending(gov, cast)
    gov.open_evidence(cast.alice, pid, 0)
    for blank in ("", "   ", "\n\t"):
        with pytest.raises(InputError, match="rationale is required to decide a tier 2"):
            gov.approve(cast.alice, pid, rationale=blank)
    with pytest.raises(InputError, match="rationale"):
        gov.approve(cast.alice, pid, rationale="", deny=True)
    assert gov.proposal(pid).status == "pending_approval"


def test_a_proposal_citing_no_evidence_cannot_be_approved_only_denied(
    gov: Governor, cast: Cast
) -> None:
    pid = _pending(gov, cast, evidence=[])
    with pytest.raises(PolicyError, match="cites no evidence"):
        gov.approve(cast.alice, pid, rationale="trust me")
    with pytest.raises(InputError, match="cites 0 evidence items"):
        gov.open_evidence(cast.alice, pid, 0)
    assert gov.approve(cast.alice, pid, rationale="no evidence given", deny=True).status == "denied"


def test_opening_an_item_is_ledgered_once_per_item_and_bounds_are_checked(
    gov: Governor, cast: Cast
) -> None:
    pid = _pending(gov, cast)
    size = gov.ledger.size()
    gov.open_evidence(cast.alice, pid, 0)
    gov.open_evidence(cast.alice, pid, 0)
    gov.open_evidence(cast.alice, pid, 1)
    assert gov.ledger.size() == size + 2
    body = _entry(gov, "evidence.item_opened")
    assert body == {"proposal": pid, "item": 1, "reference": "entry:0"}
    for bad in (2, -1):
        with pytest.raises(InputError, match="index from 0 to 1"):
            gov.open_evidence(cast.alice, pid, bad)
    assert gov.evidence_opened("alice", pid) == {0, 1}


def test_seconds_from_first_view_is_in_the_approval_entry(
    gov: Governor, cast: Cast, clock: Clock
) -> None:
    pid = _pending(gov, cast)
    gov.view_evidence(cast.alice, pid)  # the first view, of the whole list
    clock.advance(seconds=40)
    gov.open_evidence(cast.alice, pid, 0)
    clock.advance(seconds=50)
    gov.approve(cast.alice, pid, rationale="confirmed in the proxy logs")
    assert _entry(gov, "approval.granted") == {
        "proposal": pid,
        "rationale": "confirmed in the proxy logs",
        "seconds_from_first_view": 90,
        "config_hash": gov.configuration().hash,
    }
    other = _pending(gov, cast, target="ip:198.51.100.5")
    gov.approve(cast.carol, other, rationale="benign", deny=True)  # never opened: no field
    assert _entry(gov, "approval.denied") == {
        "proposal": other,
        "rationale": "benign",
        "config_hash": gov.configuration().hash,
    }


def test_lower_tiers_follow_the_rules_given(
    ledger: object, settings: object, clock: Clock, connectors: dict
) -> None:
    gov = Governor(
        ledger,  # type: ignore[arg-type]
        settings,  # type: ignore[arg-type]
        connectors=connectors,
        clock=clock,
        friction=FrictionRules(evidence_tier=NEVER, rationale_tier=NEVER),
    )
    from tests.governance.conftest import add_cast

    cast = add_cast(gov)
    pid = _pending(gov, cast, evidence=[])
    gov.view_evidence(cast.alice, pid)  # the policy's own evidence-view rule still holds
    assert gov.approve(cast.alice, pid, rationale="").status in ("pending_approval", "executed")
    with pytest.raises(ConfigError):
        FrictionRules(evidence_tier=7)
    with pytest.raises(ConfigError):
        StampRules(min_decisions=0)


def test_the_rubber_stamp_signal_is_ledgered_once_when_shown(
    ledger: object, settings: object, clock: Clock, connectors: dict
) -> None:
    rules = FrictionRules(stamp=StampRules(min_decisions=3, window_s=3600))
    gov = Governor(
        ledger,  # type: ignore[arg-type]
        settings,  # type: ignore[arg-type]
        connectors=connectors,
        clock=clock,
        friction=rules,
    )
    configure(gov, auto_execute=False)
    from tests.governance.conftest import add_cast

    cast = add_cast(gov)
    for i in range(3):
        pid = _pending(gov, cast, target=f"ip:198.51.100.{10 + i}")
        gov.open_evidence(cast.alice, pid, 0)
        clock.advance(seconds=2)
        gov.approve(cast.alice, pid, rationale="ok")
    nxt = _pending(gov, cast, target="ip:198.51.100.99")
    assert gov.rubber_stamp(cast.carol, nxt) is None  # carol decided nothing
    size = gov.ledger.size()
    signal = gov.rubber_stamp(cast.alice, nxt)
    assert signal is not None and signal.fast == 3 and signal.approvals == 3
    assert "3 of your last 3 decisions came less than 30 seconds" in signal.reasons[0]
    assert gov.rubber_stamp(cast.alice, nxt) is not None
    assert gov.ledger.size() == size + 1  # shown twice, ledgered once
    body = _entry(gov, "friction.rubber_stamp_signalled")
    assert body["proposal"] == nxt and body["fast"] == 3 and body["median_seconds"] == 2
    clock.advance(hours=2)  # the window passes
    assert gov.rubber_stamp(cast.alice, nxt) is None
    gov.ledger.verify()


def test_the_separation_reason_is_the_governors_refusal(gov: Governor, cast: Cast) -> None:
    pid = gov.propose(
        cast.alice, case="C", action="block_ip", target="ip:198.51.100.4", evidence=EVIDENCE
    ).id
    proposal = gov.proposal(pid)
    alice = gov.identity("alice")
    reason = separation_reason(proposal, alice, alice, owner_may_approve=False)
    assert reason is not None and reason.startswith("You requested this action")
    gov.open_evidence(cast.alice, pid, 0)
    with pytest.raises(PolicyError) as refused:
        gov.approve(cast.alice, pid, rationale="mine")
    assert refused.value.message == reason
    assert separation_reason(proposal, gov.identity("bob"), alice, owner_may_approve=False) is None
