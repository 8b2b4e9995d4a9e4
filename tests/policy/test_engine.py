"""Tests for affidavit.policy.engine: fail-closed evaluation and how requirements combine."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from types import MappingProxyType

import cedarpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from affidavit import canonical
from affidavit.errors import InputError
from affidavit.policy.assets import CRITICALITIES, Asset
from affidavit.policy.bundle import PolicyBundle
from affidavit.policy.engine import DEFAULT_EXPIRES_AFTER_S, PolicyEngine, _asset_entity
from affidavit.policy.request import DecisionRequest, Principal

DANA = Principal("dana", "human", roles=("analyst",))
BOT = Principal("triage-bot", "agent", owner="alice", scopes=("isolate_host", "block_ip"))
HOST = Asset("pc-1", "host", "medium", "prod", "it@corp.example", ("laptop",))
CRITICAL_HOST = Asset("dc-01", "host", "critical", "prod")

PERMIT_ALL = """
@id("permit-all")
@approvals("0")
permit (principal, action, resource);
"""

FORBID_CRITICAL = """
@id("never-critical")
@description("Critical assets are off limits.")
forbid (principal, action, resource) when { resource.criticality == "critical" };
"""

# 1,000,000 * 10^13 overflows a 64-bit Long: an evaluation error only for large target counts.
OVERFLOWING_FORBID = """
@id("overflowing-forbid")
forbid (principal, action, resource) when { context.target_count * 10000000000000 < 0 };
"""


SCHEMA = PolicyBundle.default().schema


def _engine(text: str, **kwargs: int) -> PolicyEngine:
    return PolicyEngine(PolicyBundle.publish(text), **kwargs)


def _request(
    action: str = "isolate_host",
    targets: tuple[Asset, ...] = (HOST,),
    principal: Principal = DANA,
    **kwargs: object,
) -> DecisionRequest:
    return DecisionRequest(principal, action, targets, **kwargs)  # type: ignore[arg-type]


# ---- effects ---------------------------------------------------------------------------


def test_forbid_overrides_permit() -> None:
    engine = _engine(PERMIT_ALL + FORBID_CRITICAL)
    assert engine.decide(_request()).effect == "allow"
    denied = engine.decide(_request(targets=(CRITICAL_HOST,)))
    assert denied.effect == "deny"
    assert denied.determining_policies == ("never-critical",)
    assert denied.reasons == ("denied by policy 'never-critical': Critical assets are off limits.",)
    assert (denied.approvals_required, denied.expires_after_s) == (0, None)


def test_no_matching_permit_denies() -> None:
    engine = _engine(
        '@id("enrich") @approvals("0") permit (principal, action in Action::"tier_0", resource);'
    )
    assert engine.decide(
        _request("enrich_ip_reputation", (Asset.unknown("ip", "203.0.113.7"),))
    ).allowed
    denied = engine.decide(_request())
    assert denied.effect == "deny"
    assert denied.determining_policies == ()
    assert denied.reasons == ("no policy permits human 'dana' to run 'isolate_host' on host:pc-1.",)


def test_an_evaluation_error_in_a_forbid_denies_where_cedar_alone_would_allow() -> None:
    engine = _engine(PERMIT_ALL + OVERFLOWING_FORBID)
    assert engine.decide(_request(target_count=1)).effect == "allow"
    decision = engine.decide(_request(target_count=1_000_000))
    assert decision.effect == "deny"
    assert decision.determining_policies == ("overflowing-forbid",)
    assert "fail closed" in decision.reasons[0]
    assert "`overflowing-forbid`" in decision.reasons[0]
    assert "overflow" in decision.reasons[0]
    # Cedar itself skips the erroring forbid and allows: the engine must not follow it.
    raw = cedarpy.is_authorized(
        {
            "principal": {"type": "Human", "id": "dana"},
            "action": {"type": "Action", "id": "isolate_host"},
            "resource": {"type": "Asset", "id": "host:pc-1"},
            "context": dict(decision.to_dict()["inputs"]["context"]),
        },
        engine.bundle.policy_set,
        json.dumps(
            [
                {"uid": {"type": "Human", "id": "dana"}, "attrs": {"roles": []}, "parents": []},
                {
                    "uid": {"type": "Asset", "id": "host:pc-1"},
                    "attrs": dict(decision.to_dict()["inputs"]["targets"][0], criticality_rank=1),
                    "parents": [],
                },
            ]
        ),
        engine.bundle.schema,
    )
    assert raw.allowed
    assert raw.diagnostics.errors


def test_an_evaluation_error_in_a_stricter_permit_denies_rather_than_relaxing() -> None:
    engine = _engine(
        """
@id("base") @approvals("1")
permit (principal, action in Action::"tier_2", resource);
@id("stricter") @approvals("2")
permit (principal, action, resource) when { context.target_count * 10000000000000 > 10 };
"""
    )
    assert engine.decide(_request(target_count=5)).approvals_required == 2
    decision = engine.decide(_request(target_count=1_000_000))
    assert decision.effect == "deny"
    assert decision.determining_policies == ("stricter",)


def test_a_context_value_of_the_wrong_type_denies() -> None:
    engine = _engine(PERMIT_ALL)
    request = _request()
    action = engine.catalog.get("isolate_host")
    context = {
        "action_id": "isolate_host",
        "tier": "2",  # a string where the schema says Long
        "reversible": True,
        "connector": "edr",
        "target_count": 1,
        "spike": False,
        "confidence": 0,
        "proposer_kind": "human",
    }
    (verdict,) = engine._evaluate(request, action, context)
    assert verdict.denied
    assert "fail closed" in verdict.reasons[0]
    assert "is not valid for" in verdict.reasons[0]
    context["tier"] = 2
    (verdict,) = engine._evaluate(request, action, context)
    assert not verdict.denied


def test_wrongly_typed_request_fields_are_refused_before_policy() -> None:
    with pytest.raises(InputError, match="spike"):
        _request(spike="yes")
    with pytest.raises(InputError, match="confidence"):
        _request(confidence="high")
    with pytest.raises(InputError, match="target_count"):
        _request(target_count="5")


# ---- requirements ----------------------------------------------------------------------

STRICTNESS = """
@id("one") @approvals("1") @approver_roles("approver:a,approver:b") @expires_after("600")
permit (principal, action, resource);
@id("two") @approvals("2") @approver_roles("approver:b,approver:c") @require_evidence_view("true")
permit (principal, action, resource) when { resource.criticality != "low" };
@id("zero") @approvals("0") @expires_after("300")
permit (principal, action, resource) when { resource.environment == "prod" };
"""


def test_the_strictest_requirements_win_when_several_permits_match() -> None:
    decision = _engine(STRICTNESS).decide(_request())
    assert decision.effect == "require_approval"
    assert decision.approvals_required == 2  # the maximum
    assert decision.approver_roles == ("approver:b",)  # accepted by every constraint
    assert decision.require_evidence_view is True  # any
    assert decision.expires_after_s == 300  # the shortest stated
    assert decision.determining_policies == ("one", "two", "zero")  # bundle order
    assert len(decision.reasons) == 3


def test_requirements_of_only_the_matching_permits_count() -> None:
    low_lab = Asset("pc-9", "host", "low", "lab")
    decision = _engine(STRICTNESS).decide(_request(targets=(low_lab,)))
    assert decision.approvals_required == 1
    assert decision.approver_roles == ("approver:a", "approver:b")
    assert decision.require_evidence_view is False
    assert decision.expires_after_s == 600
    assert decision.determining_policies == ("one",)


def test_disjoint_approver_roles_deny_because_no_approver_can_satisfy_both() -> None:
    engine = _engine(
        """
@id("leads") @approvals("1") @approver_roles("approver:ir_lead")
permit (principal, action, resource);
@id("legal") @approvals("1") @approver_roles("approver:legal")
permit (principal, action, resource);
"""
    )
    decision = engine.decide(_request())
    assert decision.effect == "deny"
    assert decision.determining_policies == ("leads", "legal")
    assert "approver roles" in decision.reasons[0]
    assert "approver:legal" in decision.reasons[0]


def test_allow_carries_no_approval_requirements() -> None:
    decision = _engine(
        '@id("p") @approvals("0") @approver_roles("approver:x") @require_evidence_view("true")\n'
        "permit (principal, action, resource);"
    ).decide(_request())
    assert decision.effect == "allow"
    assert (decision.approver_roles, decision.require_evidence_view) == ((), False)
    assert decision.expires_after_s == DEFAULT_EXPIRES_AFTER_S


def test_default_expiry_is_configurable() -> None:
    engine = _engine(PERMIT_ALL, default_expires_after_s=120)
    assert engine.decide(_request()).expires_after_s == 120
    with pytest.raises(InputError):
        _engine(PERMIT_ALL, default_expires_after_s=0)


# ---- several targets -------------------------------------------------------------------


def test_one_denied_target_denies_the_whole_request() -> None:
    decision = _engine(PERMIT_ALL + FORBID_CRITICAL).decide(
        _request(targets=(HOST, CRITICAL_HOST, Asset("pc-2", "host", "low", "lab")))
    )
    assert decision.effect == "deny"
    assert decision.reasons == (
        "host:dc-01: denied by policy 'never-critical': Critical assets are off limits.",
    )


def test_requirements_combine_across_targets() -> None:
    decision = _engine(STRICTNESS).decide(
        _request(targets=(Asset("pc-9", "host", "low", "lab"), HOST))
    )
    assert decision.approvals_required == 2
    assert decision.approver_roles == ("approver:b",)
    assert decision.expires_after_s == 300


# ---- what policies see -----------------------------------------------------------------


def test_policies_see_principal_asset_and_context_attributes() -> None:
    engine = _engine(
        """
@id("narrow") @approvals("1")
permit (principal is Agent, action in Action::"tier_2", resource)
when {
  principal.kind == "agent" && principal.owner == "alice" &&
  principal.scopes.contains("isolate_host") &&
  resource.kind == "host" && resource.id like "pc-*" && resource.criticality_rank == 1 &&
  resource.environment == "prod" && resource.owner == "it@corp.example" &&
  resource.tags.contains("laptop") && resource.known &&
  context.action_id == "isolate_host" && context.tier == 2 && context.reversible &&
  context.connector == "edr" && context.target_count == 3 && !context.spike &&
  context.confidence == 29 && context.proposer_kind == "agent"
};
"""
    )
    matching = _request(principal=BOT, confidence=0.29, target_count=3)
    assert engine.decide(matching).effect == "require_approval"
    assert engine.decide(_request(principal=BOT, confidence=0.3, target_count=3)).effect == "deny"
    assert engine.decide(_request(confidence=0.29, target_count=3)).effect == "deny"


# ---- the decision record ---------------------------------------------------------------


def test_decisions_carry_hash_policies_and_inputs() -> None:
    engine = _engine(PERMIT_ALL)
    decision = engine.decide(
        _request(principal=BOT, params={"comment": "C2 beacon"}, confidence=0.875, spike=True)
    )
    assert decision.bundle_hash == engine.bundle.hash
    assert decision.determining_policies == ("permit-all",)
    record = decision.to_dict()
    assert record["inputs"] == {
        "principal": {
            "id": "triage-bot",
            "kind": "agent",
            "owner": "alice",
            "roles": [],
            "scopes": ["block_ip", "isolate_host"],
        },
        "action": "isolate_host",
        "targets": [HOST.to_dict()],
        "params": {"comment": "C2 beacon"},
        "confidence": 0.875,
        "context": {
            "action_id": "isolate_host",
            "tier": 2,
            "reversible": True,
            "connector": "edr",
            "target_count": 1,
            "spike": True,
            "confidence": 87,
            "proposer_kind": "agent",
        },
    }
    assert canonical.decode(canonical.encode(record)) == record
    assert isinstance(decision.inputs, MappingProxyType)
    with pytest.raises(TypeError):
        decision.inputs["action"] = "wipe_host"  # type: ignore[index]
    assert decision.inputs["targets"][0]["tags"] == ("laptop",)


def test_the_request_cannot_change_a_recorded_decision() -> None:
    params: dict[str, object] = {"comment": "first"}
    decision = _engine(PERMIT_ALL).decide(_request(params=params))
    params["comment"] = "changed"
    assert decision.inputs["params"]["comment"] == "first"


# ---- invalid requests ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "fragment"),
    [
        (_request("format_all_disks"), "unknown action"),
        (_request(targets=(Asset.unknown("ip", "203.0.113.7"),)), "applies to host targets"),
        (_request("block_domain", (Asset.unknown("domain", "evil.example"),)), "ttl_seconds"),
        (_request(params={"ttl": 60}), r"parameter \$ of action 'isolate_host'"),
    ],
)
def test_invalid_requests_are_refused(request_: DecisionRequest, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        _engine(PERMIT_ALL).decide(request_)


def test_decide_takes_a_decision_request() -> None:
    with pytest.raises(InputError, match="DecisionRequest"):
        _engine(PERMIT_ALL).decide({"action": "isolate_host"})  # type: ignore[arg-type]


# ---- caching and threads ---------------------------------------------------------------


def test_repeated_requests_are_served_from_the_cache() -> None:
    engine = _engine(PERMIT_ALL + FORBID_CRITICAL)
    first = engine.decide(_request(params={"comment": "x"}))
    assert engine.decide(_request(params={"comment": "x"})) is first
    assert engine.decide(_request(params={"comment": "y"})) is not first
    assert engine.decide(_request(targets=(CRITICAL_HOST,))).effect == "deny"
    uncached = _engine(PERMIT_ALL + FORBID_CRITICAL, cache_size=0)
    again = uncached.decide(_request(params={"comment": "x"}))
    assert again == first
    assert uncached.decide(_request(params={"comment": "x"})) is not again


def test_bad_params_are_refused_even_after_a_good_request_was_cached() -> None:
    engine = _engine(PERMIT_ALL)
    engine.decide(_request(params={"comment": "x"}))
    with pytest.raises(InputError):
        engine.decide(_request(params={"comment": float("nan")}))


def test_concurrent_decisions_agree() -> None:
    engine = _engine(PERMIT_ALL + FORBID_CRITICAL, cache_size=8)
    assets = [Asset(f"pc-{i}", "host", ("low", "critical")[i % 2], "prod") for i in range(40)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        effects = list(pool.map(lambda a: engine.decide(_request(targets=(a,))).effect, assets * 3))
    assert effects == [("allow", "deny")[i % 2] for i in range(40)] * 3


def test_the_decision_cache_is_bounded() -> None:
    engine = _engine(PERMIT_ALL, cache_size=1)
    first = engine.decide(_request())
    assert engine.decide(_request()) is first
    engine.decide(_request(targets=(CRITICAL_HOST,)))
    assert engine.decide(_request()) is not first


# The engine parses target entities without the schema (for speed), so the Asset model
# must only ever produce entities that the schema accepts.
@given(
    st.builds(
        Asset,
        id=st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=1),
        kind=st.from_regex(r"[a-z][a-z0-9_]{0,31}", fullmatch=True),
        criticality=st.sampled_from(CRITICALITIES),
        environment=st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True),
        owner=st.text(st.characters(codec="utf-8", categories=("L", "N")), max_size=20),
        tags=st.lists(
            st.text(st.characters(codec="utf-8", categories=("Lu", "Ll")), min_size=1), max_size=3
        ).map(tuple),
        known=st.booleans(),
    )
)
def test_asset_entities_conform_to_the_schema(asset: Asset) -> None:
    parsed = cedarpy.Entities.from_json_str(json.dumps([_asset_entity(asset)]), SCHEMA)
    assert len(parsed) >= 1
