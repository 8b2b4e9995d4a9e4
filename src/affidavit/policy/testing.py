"""Policy unit tests: expected decisions for given inputs (``affidavit policy test CASES.yaml``).

A cases file is a YAML list (or ``{cases: [...]}``) of mappings::

    - name: an agent's containment needs one approver
      principal: {id: triage-bot, kind: agent, owner: alice, scopes: [isolate_host]}
      action: isolate_host
      target: {target: "host:pc-sales-0215", criticality: medium, environment: prod}
      params: {comment: "beaconing to a known C2"}              # optional
      context: {spike: false, confidence: 0.92, target_count: 1}  # all optional
      expect: {effect: require_approval, approvals: 1, approver_roles: []}

``target`` (or ``targets``, a list) entries are ``"KIND:ID"`` strings, which
stand for targets missing from the inventory (``Asset.unknown``), or mappings
with ``target`` plus the asset attributes ``criticality`` and ``environment``
(required) and ``owner`` and ``tags`` (optional). ``expect.effect`` is
``allow``, ``require_approval``, ``deny`` or ``invalid`` (the request is refused
before policy runs: unknown action, bad parameters, wrong target kind). The
optional ``approvals``, ``approver_roles``, ``require_evidence_view``,
``expires_after_s`` and ``determining_policies`` (the set of @ids) are compared
exactly. A malformed cases file raises InputError naming the case; a case
whose decision differs is reported as failed, never raised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from affidavit.errors import InputError
from affidavit.policy.assets import Asset
from affidavit.policy.decision import EFFECTS, Decision
from affidavit.policy.engine import PolicyEngine
from affidavit.policy.request import DecisionRequest, Principal
from affidavit.policy.targets import parse_target

__all__ = ["MAX_CASES", "MAX_CASES_BYTES", "CaseResult", "run_policy_tests"]

MAX_CASES_BYTES = 1 << 20
MAX_CASES = 10_000
_CASE_KEYS = frozenset(
    {"name", "principal", "action", "target", "targets", "params", "context", "expect"}
)
_CONTEXT_KEYS = frozenset({"spike", "confidence", "target_count"})
_EXPECT_KEYS = frozenset(
    {
        "effect",
        "approvals",
        "approver_roles",
        "require_evidence_view",
        "expires_after_s",
        "determining_policies",
    }
)
_ASSET_KEYS = frozenset({"target", "criticality", "environment", "owner", "tags"})
_PRINCIPAL_KEYS = frozenset({"id", "kind", "owner", "roles", "scopes"})


@dataclass(frozen=True)
class CaseResult:
    """One case: passed or not, what was decided, and each mismatch in words."""

    name: str
    passed: bool
    failures: tuple[str, ...]
    decision: Decision | None  # None when the request was refused as invalid
    refusal: str | None = None  # the InputError message when it was


def run_policy_tests(engine: PolicyEngine, cases: str | Path) -> list[CaseResult]:
    """Run the cases in ``cases`` (YAML text, or a Path to a YAML file) against ``engine``."""
    text = _read(cases) if isinstance(cases, Path) else cases
    if len(text) > MAX_CASES_BYTES:
        raise InputError(f"the cases file is larger than {MAX_CASES_BYTES} characters.")
    try:
        document = yaml.safe_load(text)
    except RecursionError:
        raise InputError("the cases file is nested too deeply to be test cases.") from None
    except yaml.YAMLError as exc:
        raise InputError(
            f"the cases file is not valid YAML: {' '.join(str(exc).split())}"
        ) from None
    if isinstance(document, dict) and set(document) == {"cases"}:
        document = document["cases"]
    if not isinstance(document, list) or not document:
        raise InputError("a cases file is a non-empty list of cases (or {cases: [...]}).")
    if len(document) > MAX_CASES:
        raise InputError(f"the cases file has more than {MAX_CASES} cases.")
    return [_run_case(engine, index, case) for index, case in enumerate(document, start=1)]


def _read(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CASES_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read cases file {path}: {exc.strerror}.") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"cases file {path} is not UTF-8 text.") from None


def _run_case(engine: PolicyEngine, index: int, case: object) -> CaseResult:
    label = f"case #{index}"
    if isinstance(case, dict) and isinstance(case.get("name"), str):
        label = f"case #{index} ({case['name']})"
    try:
        name, build, expect = _parse_case(case, index)
    except InputError as exc:
        raise InputError(f"{label}: {exc.message}") from None
    try:
        decision = engine.decide(build())
    except InputError as exc:
        if expect["effect"] == "invalid":
            return CaseResult(name, True, (), None, exc.message)
        failure = f"expected {expect['effect']}, but the request was refused: {exc.message}"
        return CaseResult(name, False, (failure,), None, exc.message)
    failures = _compare(decision, expect)
    return CaseResult(name, not failures, failures, decision)


def _parse_case(
    case: object, index: int
) -> tuple[str, Callable[[], DecisionRequest], dict[str, Any]]:
    if not isinstance(case, dict):
        raise InputError("each case is a mapping with name, principal, action, target, expect.")
    _known_keys(case, _CASE_KEYS, "the case")
    name = case.get("name", f"case #{index}")
    if not isinstance(name, str) or not name:
        raise InputError("name must be a non-empty string.")
    for key in ("principal", "action", "expect"):
        if key not in case:
            raise InputError(f"missing '{key}'.")
    if ("target" in case) == ("targets" in case):
        raise InputError("give exactly one of 'target' or 'targets'.")
    expect = _mapping(case["expect"], "expect")
    _known_keys(expect, _EXPECT_KEYS, "expect")
    if expect.get("effect") not in (*EFFECTS, "invalid"):
        raise InputError("expect.effect must be allow, require_approval, deny or invalid.")
    context = _mapping(case.get("context", {}), "context")
    _known_keys(context, _CONTEXT_KEYS, "context")
    principal = _mapping(case["principal"], "principal")
    _known_keys(principal, _PRINCIPAL_KEYS, "principal")

    def build() -> DecisionRequest:
        # Built lazily so that a request policy refuses counts as the case's 'invalid' outcome.
        return DecisionRequest(
            principal=Principal(
                id=principal.get("id", ""),
                kind=principal.get("kind", ""),
                owner=principal.get("owner", ""),
                roles=_strings(principal.get("roles", [])),
                scopes=_strings(principal.get("scopes", [])),
            ),
            action=case["action"],
            targets=_targets(case["targets"] if "targets" in case else [case["target"]]),
            params=_mapping(case.get("params", {}), "params"),
            confidence=context.get("confidence"),
            spike=context.get("spike", False),
            target_count=context.get("target_count"),
        )

    return name, build, expect


def _targets(entries: object) -> list[Asset]:
    if not isinstance(entries, list):
        raise InputError("targets must be a list.")
    assets = []
    for entry in entries:
        if isinstance(entry, str):
            target = parse_target(entry)
            assets.append(Asset.unknown(target.kind, target.id))
            continue
        data = _mapping(entry, "a target")
        _known_keys(data, _ASSET_KEYS, "a target")
        target = parse_target(data.get("target"))
        assets.append(
            Asset(
                id=target.id,
                kind=target.kind,
                criticality=data.get("criticality", ""),
                environment=data.get("environment", ""),
                owner=data.get("owner", ""),
                tags=_strings(data.get("tags", [])),
            )
        )
    return assets


def _compare(decision: Decision, expect: Mapping[str, Any]) -> tuple[str, ...]:
    actual: dict[str, Any] = {
        "effect": decision.effect,
        "approvals": decision.approvals_required,
        "approver_roles": sorted(decision.approver_roles),
        "require_evidence_view": decision.require_evidence_view,
        "expires_after_s": decision.expires_after_s,
        "determining_policies": sorted(decision.determining_policies),
    }
    failures = []
    for key, wanted in expect.items():
        if key in ("approver_roles", "determining_policies") and isinstance(wanted, list):
            wanted = sorted(map(str, wanted))
        if actual[key] != wanted:
            failures.append(f"{key}: expected {wanted!r}, got {actual[key]!r}")
    if failures:
        failures.append("reasons: " + " | ".join(decision.reasons))
    return tuple(failures)


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise InputError("roles, scopes and tags are lists of strings.")
    return tuple(value)


def _mapping(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"{what} must be a mapping.")
    return value


def _known_keys(data: Mapping[Any, Any], allowed: frozenset[str], what: str) -> None:
    unknown = sorted(map(str, set(data) - allowed))
    if unknown:
        raise InputError(f"{what} has unknown keys {unknown}; allowed: {sorted(allowed)}.")
