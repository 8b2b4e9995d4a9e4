"""Tests for affidavit.policy.decision: a Decision cannot be built inconsistent."""

from __future__ import annotations

from typing import Any

import pytest

from affidavit import canonical
from affidavit.errors import InputError
from affidavit.policy.decision import Decision

HASH = "ab" * 32


def _decision(**overrides: Any) -> Decision:
    fields: dict[str, Any] = {
        "effect": "require_approval",
        "approvals_required": 1,
        "approver_roles": ("approver:ir_lead",),
        "require_evidence_view": True,
        "expires_after_s": 3600,
        "bundle_hash": HASH,
        "determining_policies": ("tier-3",),
        "reasons": ("policy 'tier-3'",),
        "inputs": {"action": "disable_account", "targets": [{"tags": ["a"]}]},
    }
    fields.update(overrides)
    return Decision(**fields)


def test_a_consistent_decision_round_trips_to_plain_json() -> None:
    decision = _decision()
    record = decision.to_dict()
    assert record["inputs"] == {"action": "disable_account", "targets": [{"tags": ["a"]}]}
    assert canonical.decode(canonical.encode(record)) == record
    assert not decision.allowed
    assert _decision(
        effect="allow", approvals_required=0, approver_roles=(), require_evidence_view=False
    ).allowed


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"effect": "maybe"}, "effect must be one of"),
        ({"effect": "allow"}, "allow decision carries no approval"),
        ({"effect": "allow", "approvals_required": 0, "approver_roles": ()}, "allow decision"),
        ({"approvals_required": 0}, "needs at least one approval"),
        ({"approvals_required": -1}, "0 or more"),
        ({"approvals_required": 1.0}, "whole number"),
        (
            {
                "effect": "deny",
                "approvals_required": 0,
                "approver_roles": (),
                "require_evidence_view": False,
            },
            "exactly when",
        ),
        ({"effect": "deny", "expires_after_s": None}, "no approval requirements"),
        ({"expires_after_s": None}, "exactly when"),
        ({"expires_after_s": 0}, "positive"),
        ({"approver_roles": ["approver:ir_lead"]}, "tuple of strings"),
        ({"reasons": ()}, "at least one reason"),
        ({"bundle_hash": "AB" * 32}, "SHA-256"),
        ({"bundle_hash": "ab" * 31}, "SHA-256"),
        ({"require_evidence_view": "yes"}, "true or false"),
        ({"inputs": ["x"]}, "mapping"),
    ],
)
def test_inconsistent_decisions_are_refused(overrides: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        _decision(**overrides)


def test_inputs_are_frozen_deeply() -> None:
    inputs = {"targets": [{"tags": ["a"]}]}
    decision = _decision(inputs=inputs)
    inputs["targets"][0]["tags"].append("b")
    assert decision.inputs["targets"][0]["tags"] == ("a",)
    with pytest.raises(TypeError):
        decision.inputs["targets"][0]["tags"] = ()
