"""The policy engine: a request in, a Decision out, failing closed.

Rules, in order:

1. The request must name a catalog action, targets of a kind the action
   applies to, and parameters that satisfy its schema; otherwise ``decide``
   raises InputError (the request is refused before policy runs).
2. Each target is evaluated as one Cedar request (``is_authorized_batch``),
   the target asset as the resource.
3. For a target, deny when Cedar reports any evaluation error (Cedar itself
   would skip an erroring forbid and could still allow), when any forbid
   matches, or when no permit matches.
4. Any denied target denies the whole request.
5. Otherwise every permit that matched, on every target, contributes its
   requirements and the strictest wins: approvals = the maximum; approver
   roles = the roles every constraining permit accepts (the intersection of
   their ``@approver_roles``; each approver must hold at least one of them, and
   disjoint constraints deny because no approver could satisfy all);
   evidence viewing if any permit asks for it; expiry = the shortest stated,
   else ``default_expires_after_s``.
6. Effect: ``allow`` when 0 approvals are required (roles and evidence
   viewing then do not apply), ``require_approval`` otherwise.

Speed (cedarpy keeps parsed handles between calls): the bundle holds the
parsed policy set and schema; each principal is parsed once into an entity set
checked against the schema, which also brings in the action entities (tier
groups); a decision then parses only its target assets on top of that base
(the Asset model guarantees their attribute types) and makes one
``is_authorized_batch`` call, whose request and context Cedar still checks
against the schema. Decisions are immutable and depend only on the request and
the bundle, so a bounded LRU keyed by the request's fields returns a repeated
decision without evaluating again (``cache_size=0`` turns it off).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import cedarpy

from affidavit._lru import LRU
from affidavit._text import shorten
from affidavit.errors import InputError
from affidavit.policy.action_spec import ActionSpec
from affidavit.policy.assets import Asset
from affidavit.policy.bundle import PolicyBundle, PolicyRule
from affidavit.policy.decision import Decision
from affidavit.policy.request import DecisionRequest, Principal

__all__ = ["DEFAULT_EXPIRES_AFTER_S", "PolicyEngine"]

DEFAULT_EXPIRES_AFTER_S = 3600
_PRINCIPAL_CACHE_SIZE = 1024
_FAIL_CLOSED = "policy evaluation failed, so the request is denied (fail closed)"
_ERRING_POLICY = re.compile(r"policy `(policy\d+)`")


_Key = tuple[Principal, str, tuple[Asset, ...], str, float | None, bool, int | None]


@dataclass(frozen=True)
class _Verdict:
    """The outcome for one target."""

    denied: bool
    rules: tuple[PolicyRule, ...]
    reasons: tuple[str, ...]


class PolicyEngine:
    """Decides requests under one published bundle. Thread-safe."""

    def __init__(
        self,
        bundle: PolicyBundle,
        *,
        cache_size: int = 4096,
        default_expires_after_s: int = DEFAULT_EXPIRES_AFTER_S,
    ) -> None:
        if cache_size < 0 or default_expires_after_s <= 0:
            raise InputError("cache_size must be >= 0 and default_expires_after_s > 0.")
        self.bundle = bundle
        self.catalog = bundle.catalog
        self.default_expires_after_s = default_expires_after_s
        self._rank = {rule.id: index for index, rule in enumerate(bundle.rules)}
        self._described = {rule.id: _describe(rule) for rule in bundle.rules}
        self._decisions: LRU[_Key, Decision] = LRU(cache_size)
        # Parsed principal entities (checked against the schema, with the action entities).
        self._principals: LRU[Principal, cedarpy.Entities] = LRU(_PRINCIPAL_CACHE_SIZE)
        self._requests: LRU[tuple[Principal, tuple[Asset, ...]], cedarpy.Entities] = LRU(
            _PRINCIPAL_CACHE_SIZE
        )

    def decide(self, request: DecisionRequest) -> Decision:
        """The decision for ``request``; InputError when the request itself is not acceptable."""
        if not isinstance(request, DecisionRequest):
            raise InputError("decide() takes a DecisionRequest.")
        action = self.catalog.get(request.action)
        key = _cache_key(request)
        if key is not None and (hit := self._decisions.get(key)) is not None:
            return hit
        for asset in request.targets:
            self.catalog.check_target(action.id, asset.target)
        self.catalog.validate_params(action.id, request.params)
        context = {
            "action_id": action.id,
            "tier": action.tier,
            "reversible": action.reversible,
            "connector": action.connector,
            "target_count": request.target_count,
            "spike": request.spike,
            "confidence": request.confidence_percent,
            "proposer_kind": request.principal.kind,
        }
        inputs = {
            "principal": request.principal.to_dict(),
            "action": action.id,
            "targets": [asset.to_dict() for asset in request.targets],
            "params": request.params,
            "confidence": request.confidence,
            "context": context,
        }
        verdicts = self._evaluate(request, action, context)
        decision = self._combine(request.targets, verdicts, inputs)
        if key is not None:
            self._decisions.put(key, decision)
        return decision

    def _evaluate(
        self, request: DecisionRequest, action: ActionSpec, context: dict[str, Any]
    ) -> list[_Verdict]:
        principal = request.principal
        principal_uid = {"type": _principal_type(principal), "id": principal.id}
        context_json = json.dumps(context)  # one string shared by every target's request
        cedar_requests = [
            {
                "principal": principal_uid,
                "action": {"type": "Action", "id": action.id},
                "resource": {"type": "Asset", "id": f"{asset.kind}:{asset.id}"},
                "context": context_json,
            }
            for asset in request.targets
        ]
        try:
            entities = self._request_entities(principal, tuple(request.targets))
            results = cedarpy.is_authorized_batch(
                cedar_requests, self.bundle.policy_set, entities, self.bundle.schema
            )
        except Exception as exc:  # any failure inside Cedar must deny, never allow
            failure = _Verdict(True, (), (f"{_FAIL_CLOSED}: {shorten(str(exc))}",))
            return [failure] * len(cedar_requests)
        if len(results) != len(cedar_requests):
            failure = _Verdict(True, (), (f"{_FAIL_CLOSED}: Cedar returned too few results.",))
            return [failure] * len(cedar_requests)
        return [
            self._verdict(result, request, asset)
            for result, asset in zip(results, request.targets, strict=True)
        ]

    def _request_entities(
        self, principal: Principal, targets: tuple[Asset, ...]
    ) -> cedarpy.Entities:
        """Principal plus target assets, parsed once per distinct pair (assets repeat:
        the same hosts and users come up alert after alert)."""
        key = (principal, targets)
        entities = self._requests.get(key)
        if entities is None:
            assets = json.dumps([_asset_entity(asset) for asset in targets])
            entities = self._principal_entities(principal).with_added_json_str(assets)
            self._requests.put(key, entities)
        return entities

    def _principal_entities(self, principal: Principal) -> cedarpy.Entities:
        """The principal as a parsed entity set, validated against the schema once.

        Parsing with the schema also adds the action entities (tier groups), so a
        request only has to parse its target assets on top of this base.
        """
        entities = self._principals.get(principal)
        if entities is None:
            if principal.is_human:
                attrs: dict[str, Any] = {"roles": list(principal.roles)}
            else:
                attrs = {
                    "kind": principal.kind,
                    "owner": principal.owner,
                    "scopes": list(principal.scopes),
                }
            uid = {"type": _principal_type(principal), "id": principal.id}
            document = json.dumps([{"uid": uid, "attrs": attrs, "parents": []}])
            entities = cedarpy.Entities.from_json_str(document, self.bundle.schema)
            self._principals.put(principal, entities)
        return entities

    def _verdict(
        self, result: cedarpy.AuthzResult, request: DecisionRequest, asset: Asset
    ) -> _Verdict:
        diagnostics = result.diagnostics
        if diagnostics.errors:
            erring = {m for error in diagnostics.errors for m in _ERRING_POLICY.findall(error)}
            rules = self._ordered(r for r in self.bundle.rules if r.cedar_id in erring)
            reasons = tuple(
                f"{_FAIL_CLOSED}: {shorten(self.bundle.explain(error))}"
                for error in diagnostics.errors[:5]
            )
            return _Verdict(True, rules, reasons)
        matched = [self.bundle.rules_by_cedar_id.get(cedar_id) for cedar_id in diagnostics.reasons]
        rules = self._ordered(rule for rule in matched if rule is not None)
        if len(rules) != len(matched):
            return _Verdict(True, rules, (f"{_FAIL_CLOSED}: Cedar named an unknown policy.",))
        if result.decision == cedarpy.Decision.Allow:
            if any(rule.requirements is None for rule in rules) or not rules:
                return _Verdict(True, rules, (f"{_FAIL_CLOSED}: inconsistent Cedar result.",))
            return _Verdict(False, rules, tuple(self._described[rule.id] for rule in rules))
        if rules:
            reasons = tuple(f"denied by {self._described[rule.id]}" for rule in rules)
            return _Verdict(True, rules, reasons)
        who = f"{request.principal.kind} {request.principal.id!r}"
        return _Verdict(
            True,
            (),
            (f"no policy permits {who} to run {request.action!r} on {asset.target}.",),
        )

    def _combine(
        self, targets: Sequence[Asset], verdicts: list[_Verdict], inputs: dict[str, Any]
    ) -> Decision:
        several = len(targets) > 1
        denied = [(asset, v) for asset, v in zip(targets, verdicts, strict=True) if v.denied]
        if denied:
            reasons = [
                f"{asset.target}: {reason}" if several else reason
                for asset, verdict in denied
                for reason in verdict.reasons
            ]
            rules = self._ordered(rule for _, verdict in denied for rule in verdict.rules)
            return self._deny(rules, reasons, inputs)
        rules = self._ordered(rule for verdict in verdicts for rule in verdict.rules)
        reqs = [rule.requirements for rule in rules if rule.requirements is not None]
        approvals = max(r.approvals for r in reqs)
        constraints = [set(r.approver_roles) for r in reqs if r.approver_roles]
        roles = set.intersection(*constraints) if constraints else set()
        if approvals and constraints and not roles:
            return self._deny(rules, [_conflict(rules)], inputs)
        stated = [r.expires_after_s for r in reqs if r.expires_after_s is not None]
        return Decision(
            effect="allow" if approvals == 0 else "require_approval",
            approvals_required=approvals,
            approver_roles=tuple(sorted(roles)) if approvals else (),
            require_evidence_view=bool(approvals) and any(r.require_evidence_view for r in reqs),
            expires_after_s=min(stated) if stated else self.default_expires_after_s,
            bundle_hash=self.bundle.hash,
            determining_policies=tuple(rule.id for rule in rules),
            reasons=tuple(self._described[rule.id] for rule in rules),
            inputs=inputs,
        )

    def _deny(
        self, rules: tuple[PolicyRule, ...], reasons: list[str], inputs: dict[str, Any]
    ) -> Decision:
        return Decision(
            effect="deny",
            approvals_required=0,
            approver_roles=(),
            require_evidence_view=False,
            expires_after_s=None,
            bundle_hash=self.bundle.hash,
            determining_policies=tuple(rule.id for rule in rules),
            reasons=tuple(dict.fromkeys(reasons)),
            inputs=inputs,
        )

    def _ordered(self, rules: Iterable[PolicyRule]) -> tuple[PolicyRule, ...]:
        """Distinct rules in bundle order, so reasons and ids read like the policy file."""
        return tuple(sorted(set(rules), key=lambda rule: self._rank[rule.id]))


def _principal_type(principal: Principal) -> str:
    return "Human" if principal.is_human else "Agent"


def _asset_entity(asset: Asset) -> dict[str, Any]:
    return {
        "uid": {"type": "Asset", "id": f"{asset.kind}:{asset.id}"},
        "attrs": {
            "kind": asset.kind,
            "id": asset.id,
            "criticality": asset.criticality,
            "criticality_rank": asset.criticality_rank,
            "environment": asset.environment,
            "owner": asset.owner,
            "tags": list(asset.tags),
            "known": asset.known,
        },
        "parents": [],
    }


def _describe(rule: PolicyRule) -> str:
    return f"policy '{rule.id}': {rule.description}" if rule.description else f"policy '{rule.id}'"


def _conflict(rules: tuple[PolicyRule, ...]) -> str:
    parts = sorted(
        {
            f"{rule.id} ({', '.join(rule.requirements.approver_roles)})"
            for rule in rules
            if rule.requirements is not None and rule.requirements.approver_roles
        }
    )
    return (
        "the matching policies ask for approver roles that no single approver role "
        f"satisfies together: {'; '.join(parts)}; denied until the policy is fixed."
    )


def _cache_key(request: DecisionRequest) -> _Key | None:
    """Everything a decision depends on besides the bundle; None when params are not JSON.

    Principal and Asset are frozen dataclasses, so they hash and compare by value.
    """
    params = ""
    if request.params:
        try:
            params = json.dumps(request.params, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            return None  # validation refuses these parameters
    return (
        request.principal,
        request.action,
        tuple(request.targets),
        params,
        request.confidence,
        request.spike,
        request.target_count,
    )
