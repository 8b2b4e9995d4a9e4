"""The shipped default bundle: every rule, the safety properties, and default_tests.yaml."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from affidavit.policy.assets import CRITICALITIES, Asset
from affidavit.policy.bundle import PolicyBundle
from affidavit.policy.catalog import Catalog
from affidavit.policy.decision import Decision
from affidavit.policy.engine import PolicyEngine
from affidavit.policy.request import DecisionRequest, Principal
from affidavit.policy.testing import run_policy_tests

ENGINE = PolicyEngine(PolicyBundle.default())
CATALOG = Catalog.default()
DANA = Principal("dana", "human", roles=("analyst",))
ALL_SCOPES = tuple(CATALOG.ids)
BOT = Principal("response-bot", "agent", owner="alice", scopes=ALL_SCOPES)
LAPTOP = Asset("pc-sales-0215", "host", "medium", "prod")
USER = Asset("bob@corp.example", "user", "medium", "prod")
# Parameters that satisfy the actions whose schema requires some.
PARAMS: dict[str, dict[str, Any]] = {
    "block_domain": {"ttl_seconds": 3600},
    "create_ticket": {"summary": "follow up"},
    "kill_process": {"pid": 4242},
    "delete_mailbox_items": {"message_ids": ["<a1@mail.example>"]},
}


def _decide(
    action: str,
    target: Asset,
    principal: Principal = DANA,
    **kwargs: Any,
) -> Decision:
    params = PARAMS.get(action, {})
    return ENGINE.decide(DecisionRequest(principal, action, [target], params, **kwargs))


# ---- one test per rule -----------------------------------------------------------------


@pytest.mark.parametrize("principal", [DANA, BOT])
def test_tier_0_runs_without_approval(principal: Principal) -> None:
    decision = _decide("enrich_ip_reputation", Asset.unknown("ip", "203.0.113.7"), principal)
    assert decision.effect == "allow"
    assert decision.determining_policies == ("tier-0-enrichment",)


@pytest.mark.parametrize("principal", [DANA, BOT])
def test_tier_1_runs_without_approval(principal: Principal) -> None:
    decision = _decide("add_case_note", Asset.unknown("case", "INC-1"), principal, spike=True)
    assert decision.effect == "allow"
    assert decision.determining_policies == ("tier-1-advisory",)


def test_tier_2_needs_one_approver() -> None:
    decision = _decide("isolate_host", LAPTOP, BOT, confidence=0.9)
    assert (decision.effect, decision.approvals_required) == ("require_approval", 1)
    assert decision.approver_roles == ()
    assert decision.require_evidence_view is False
    assert decision.determining_policies == ("tier-2-containment",)


def test_tier_3_needs_an_ir_lead() -> None:
    decision = _decide("disable_account", USER, DANA)
    assert decision.approvals_required == 1
    assert decision.approver_roles == ("approver:ir_lead",)
    assert decision.require_evidence_view is True
    assert decision.determining_policies == ("tier-3-user-impact",)


def test_tier_4_by_a_person_needs_two_distinct_approvers() -> None:
    decision = _decide("wipe_host", LAPTOP, DANA)
    assert decision.approvals_required == 2
    assert decision.approver_roles == ("approver:ir_lead", "approver:soc_manager")
    assert decision.expires_after_s == 1800
    assert decision.determining_policies == ("tier-4-destructive",)


@pytest.mark.parametrize("kind", ["agent", "model", "integration"])
def test_tier_4_is_never_executed_for_an_agent(kind: str) -> None:
    principal = Principal("x", kind, owner="alice", scopes=ALL_SCOPES)  # type: ignore[arg-type]
    decision = _decide("wipe_host", Asset("lab-1", "host", "low", "lab"), principal, confidence=1)
    assert decision.effect == "deny"
    assert decision.determining_policies == ("agent-never-tier-4",)


def test_a_critical_asset_needs_two_approvers() -> None:
    decision = _decide(
        "isolate_host", Asset("dc-01", "host", "critical", "prod"), BOT, confidence=1
    )
    assert decision.approvals_required == 2
    assert decision.determining_policies == ("tier-2-containment", "critical-asset")


def test_an_unknown_target_is_treated_as_critical() -> None:
    known_low = _decide("block_ip", Asset("198.51.100.20", "ip", "low", "internet"))
    unknown = _decide("block_ip", Asset.unknown("ip", "198.51.100.20"))
    assert known_low.approvals_required == 1
    assert unknown.approvals_required == 2
    assert "critical-asset" in unknown.determining_policies


def test_a_spike_raises_requirements() -> None:
    calm = _decide("isolate_host", LAPTOP, confidence=0.9)
    spike = _decide("isolate_host", LAPTOP, confidence=0.9, spike=True)
    assert (calm.approvals_required, spike.approvals_required) == (1, 2)
    assert spike.expires_after_s == 1800
    assert "alert-spike" in spike.determining_policies


def test_more_than_ten_targets_need_two_approvers() -> None:
    assert (
        _decide(
            "block_ip", Asset("192.0.2.1", "ip", "low", "internet"), target_count=10
        ).approvals_required
        == 1
    )
    bulk = _decide("block_ip", Asset("192.0.2.1", "ip", "low", "internet"), target_count=11)
    assert bulk.approvals_required == 2
    assert "bulk-change" in bulk.determining_policies


def test_an_agent_outside_its_scopes_is_denied() -> None:
    narrow = Principal("triage-bot", "agent", owner="alice", scopes=("enrich_ip_reputation",))
    assert _decide("enrich_ip_reputation", Asset.unknown("ip", "192.0.2.1"), narrow).allowed
    for action, target in [
        ("add_case_note", Asset.unknown("case", "INC-1")),
        ("isolate_host", LAPTOP),
    ]:
        decision = _decide(action, target, narrow)
        assert decision.effect == "deny"
        assert decision.determining_policies == ("agent-within-scope",)


def test_a_low_confidence_agent_change_requires_viewing_the_evidence() -> None:
    assert _decide("isolate_host", LAPTOP, BOT, confidence=0.7).require_evidence_view is False
    unsure = _decide("isolate_host", LAPTOP, BOT, confidence=0.69)
    assert unsure.require_evidence_view is True
    assert _decide("isolate_host", LAPTOP, BOT).require_evidence_view is True  # no confidence given
    assert _decide("isolate_host", LAPTOP, DANA).require_evidence_view is False  # people exempt


# ---- properties over random requests ---------------------------------------------------


@st.composite
def requests(draw: st.DrawFn) -> DecisionRequest:
    action = draw(st.sampled_from(list(CATALOG)))
    kind = draw(st.sampled_from(["human", "agent", "model", "integration"]))
    if kind == "human":
        roles = draw(
            st.lists(st.sampled_from(["analyst", "approver:ir_lead", "admin"]), unique=True)
        )
        principal = Principal("p", "human", roles=tuple(roles))
    else:
        scopes = draw(st.lists(st.sampled_from(ALL_SCOPES), unique=True))
        if draw(st.booleans()):
            scopes.append(action.id)
        principal = Principal("p", kind, owner="alice", scopes=tuple(set(scopes)))  # type: ignore[arg-type]
    count = draw(st.integers(1, 3))
    targets = []
    for index in range(count):
        kind_of_target = draw(st.sampled_from(action.target_kinds))
        if draw(st.booleans()):
            targets.append(Asset.unknown(kind_of_target, f"t{index}"))
        else:
            targets.append(
                Asset(
                    f"t{index}",
                    kind_of_target,
                    draw(st.sampled_from(CRITICALITIES)),
                    draw(st.sampled_from(["prod", "lab", "unknown"])),
                    tags=tuple(draw(st.lists(st.sampled_from(["vip", "lab"]), unique=True))),
                )
            )
    return DecisionRequest(
        principal,
        action.id,
        targets,
        PARAMS.get(action.id, {}),
        confidence=draw(st.none() | st.floats(0, 1)),
        spike=draw(st.booleans()),
        target_count=draw(st.none() | st.integers(count, 1_000_000)),
    )


@settings(max_examples=300, deadline=None)
@given(requests())
def test_default_bundle_safety_properties(request: DecisionRequest) -> None:
    decision = ENGINE.decide(request)
    tier = CATALOG.get(request.action).tier
    agent = not request.principal.is_human
    if tier >= 2:
        assert decision.effect != "allow"
    if agent and tier == 4:
        assert decision.effect == "deny"
    if agent and request.action not in request.principal.scopes:
        assert decision.effect == "deny"
    if decision.effect == "require_approval":
        raised = (
            any(t.criticality == "critical" or not t.known for t in request.targets)
            or request.spike
            or (request.target_count or 0) > 10
        )
        assert decision.approvals_required >= (2 if raised or tier == 4 else 1)
        if tier >= 3:
            assert "approver:ir_lead" in decision.approver_roles
    if tier <= 1 and (not agent or request.action in request.principal.scopes):
        assert decision.effect == "allow"
    assert decision.bundle_hash == ENGINE.bundle.hash
    assert decision.determining_policies


# ---- the shipped cases file ------------------------------------------------------------


def test_default_tests_yaml_passes() -> None:
    path = Path(str(resources.files("affidavit.policy").joinpath("default_tests.yaml")))
    results = run_policy_tests(ENGINE, path)
    assert len(results) >= 20
    failed = [(r.name, r.failures) for r in results if not r.passed]
    assert failed == []
    assert {r.refusal is not None for r in results} == {True, False}
