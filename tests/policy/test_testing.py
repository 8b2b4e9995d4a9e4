"""Tests for affidavit.policy.testing: running users' expected-decision cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from affidavit.errors import InputError
from affidavit.policy.bundle import PolicyBundle
from affidavit.policy.engine import PolicyEngine
from affidavit.policy.testing import run_policy_tests

ENGINE = PolicyEngine(PolicyBundle.default())

CASE = """
- name: containment
  principal: {id: bot, kind: agent, owner: alice, scopes: [isolate_host]}
  action: isolate_host
  target: {target: "host:pc-1", criticality: medium, environment: prod, owner: it, tags: [a]}
  context: {confidence: 0.9}
  expect: {effect: require_approval, approvals: %s}
"""


def test_passing_and_failing_cases_are_reported() -> None:
    (passed,) = run_policy_tests(ENGINE, CASE % 1)
    assert passed.passed
    assert passed.failures == ()
    assert passed.decision is not None
    assert passed.decision.approvals_required == 1
    (failed,) = run_policy_tests(ENGINE, CASE % 2)
    assert not failed.passed
    assert failed.failures[0] == "approvals: expected 2, got 1"
    assert failed.failures[-1].startswith("reasons: policy 'tier-2-containment'")


def test_every_expectation_is_compared() -> None:
    text = """
cases:
  - principal: {id: dana, kind: human, roles: [analyst]}
    action: wipe_host
    targets: ["host:pc-1", {target: "host:pc-2", criticality: low, environment: lab}]
    expect:
      effect: require_approval
      approvals: 2
      approver_roles: [approver:soc_manager, approver:ir_lead]
      require_evidence_view: true
      expires_after_s: 900
      determining_policies: [tier-4-destructive, critical-asset]
"""
    (result,) = run_policy_tests(ENGINE, text)
    assert result.name == "case #1"
    assert result.failures[:-1] == ("expires_after_s: expected 900, got 1800",)


def test_refusals_pass_only_when_expected() -> None:
    text = """
- name: unknown action refused
  principal: {id: dana, kind: human}
  action: format_all_disks
  target: "host:pc-1"
  expect: {effect: invalid}
- name: unknown action expected to be denied
  principal: {id: dana, kind: human}
  action: format_all_disks
  target: "host:pc-1"
  expect: {effect: deny}
- name: a valid request expected to be invalid
  principal: {id: dana, kind: human}
  action: enrich_ip_reputation
  target: "ip:192.0.2.1"
  expect: {effect: invalid}
"""
    refused, wrongly_refused, not_refused = run_policy_tests(ENGINE, text)
    assert refused.passed
    assert refused.refusal is not None
    assert "unknown action" in refused.refusal
    assert not wrongly_refused.passed
    assert "expected deny, but the request was refused" in wrongly_refused.failures[0]
    assert not not_refused.passed
    assert not_refused.failures[0] == "effect: expected 'invalid', got 'allow'"


def test_cases_are_read_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(CASE % 1, encoding="utf-8")
    assert [r.passed for r in run_policy_tests(ENGINE, path)] == [True]
    with pytest.raises(InputError, match="cannot read cases file"):
        run_policy_tests(ENGINE, tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- [", "not valid YAML"),
        ("[]", "non-empty list"),
        ("cases: 3", "non-empty list"),
        ("- 3", r"case #1: each case is a mapping"),
        (
            "- {name: x, action: a, target: 'host:a', expect: {effect: allow}}",
            r"case #1 \(x\): missing 'principal'",
        ),
        (
            "- {principal: {id: a, kind: human}, action: a, expect: {effect: allow}}",
            "exactly one of 'target' or 'targets'",
        ),
        (
            "- {principal: {id: a, kind: human}, action: a, target: 'host:a', expect: {effect: maybe}}",
            "expect.effect must be",
        ),
        (
            "- {principal: {id: a, kind: human}, action: a, target: 'host:a', expect: {effect: allow, approval: 1}}",
            r"expect has unknown keys \['approval'\]",
        ),
        (
            "- {principal: {id: a, kind: human}, action: a, target: 'host:a', context: {surge: true}, expect: {effect: allow}}",
            "context has unknown keys",
        ),
        (
            "- {principal: {id: a, kind: human, team: x}, action: a, target: 'host:a', expect: {effect: allow}}",
            "principal has unknown keys",
        ),
        (
            "- {name: '', principal: {}, action: a, target: 'host:a', expect: {effect: allow}}",
            "name must be",
        ),
        (
            "- {cases: 1, principal: {}, action: a, target: 'h:a', expect: {effect: allow}}",
            "unknown keys",
        ),
    ],
)
def test_malformed_cases_files_raise_naming_the_case(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        run_policy_tests(ENGINE, text)


def test_a_malformed_request_inside_a_case_counts_as_invalid() -> None:
    text = """
- name: bad target mapping
  principal: {id: dana, kind: human}
  action: isolate_host
  target: {target: "host:pc-1", criticality: severe, environment: prod}
  expect: {effect: require_approval}
"""
    (result,) = run_policy_tests(ENGINE, text)
    assert not result.passed
    assert "criticality 'severe'" in result.failures[0]
