"""Policy: the action catalog, asset context, and the Cedar engine that decides requests.

Typical use by the governance layer::

    catalog = Catalog.load(*user_catalog_files)
    engine = PolicyEngine(PolicyBundle.publish(policy_text, catalog))
    decision = engine.decide(DecisionRequest(principal, "isolate_host", [asset], params))

Depends on nothing of ours but ``affidavit.errors`` and ``affidavit.canonical``.
"""

from __future__ import annotations

from affidavit.policy.action_spec import TIERS, ActionSpec
from affidavit.policy.assets import CRITICALITIES, Asset, Criticality, load_assets, parse_assets
from affidavit.policy.bundle import PolicyBundle, PolicyRule, Requirements, default_policy_text
from affidavit.policy.catalog import STABLE_ACTIONS, Catalog
from affidavit.policy.decision import EFFECTS, Decision, Effect
from affidavit.policy.engine import DEFAULT_EXPIRES_AFTER_S, PolicyEngine
from affidavit.policy.request import DecisionRequest, Principal, PrincipalKind
from affidavit.policy.schema import cedar_schema_text
from affidavit.policy.targets import Target, canonical_id, canonical_target, parse_target
from affidavit.policy.testing import CaseResult, run_policy_tests

__all__ = [
    "CRITICALITIES",
    "DEFAULT_EXPIRES_AFTER_S",
    "EFFECTS",
    "STABLE_ACTIONS",
    "TIERS",
    "ActionSpec",
    "Asset",
    "CaseResult",
    "Catalog",
    "Criticality",
    "Decision",
    "DecisionRequest",
    "Effect",
    "PolicyBundle",
    "PolicyEngine",
    "PolicyRule",
    "Principal",
    "PrincipalKind",
    "Requirements",
    "Target",
    "canonical_id",
    "canonical_target",
    "cedar_schema_text",
    "default_policy_text",
    "load_assets",
    "parse_assets",
    "parse_target",
    "run_policy_tests",
]
