"""Baseline for bench/governance.py: Microsoft's Agent Governance Toolkit policy engine.

Run by bench/governance.py in a separate virtualenv that has
``agent-governance-toolkit-core`` (see bench/requirements-governance.txt); it
imports nothing of Affidavit's. It reads one JSON object on stdin::

    {"tiers": {ACTION: TIER, ...}, "agents": {AGENT_ID: [SCOPE, ...], ...},
     "warmup": [[PRINCIPAL_ID, CONTEXT], ...], "stream": [[PRINCIPAL_ID, CONTEXT], ...],
     "calibration_iterations": N, "rounds": N}

and prints one JSON object: the API measured, the package version, p50/p99 of
``PolicyEngine.evaluate`` over ``stream`` in µs (the best of ``rounds`` passes,
each on a fresh engine), every decision mapped to (effect, approvals, approver
roles, evidence view) so the caller can check that the rule set is equivalent
to Affidavit's, and a calibration figure (see ``calibrate``). Exit status 3
means the toolkit is not installed in this interpreter.

The engine is ``agentmesh.governance.policy.PolicyEngine`` (shipped inside
agent-governance-toolkit-core): YAML rules with ``and``/``or`` conditions over
dotted context fields, actions allow / deny / require_approval with an
``approvers`` list, per-agent policies (``agents: [...]``), and the default
``priority_first_match`` conflict strategy (every rule of every applicable
policy is evaluated, the matching rule of highest priority wins); no match
falls back to ``default_action: deny``. The rule set, highest priority first,
mirrors Affidavit's default Cedar bundle (``src/affidavit/policy/default.cedar``);
Cedar combines every matching permit (strictest wins) while this engine picks
one rule, so each combination Cedar can produce is one rule here:

=====  ===================================  ==========================================
prio   rule                                 outcome (approvals, roles, evidence view)
=====  ===================================  ==========================================
100    agent-within-scope (one per agent)   deny when the action is not in its scopes
90     agent-never-tier-4                   deny tier 4 proposed by an agent
80     tier-4-destructive                   2, ir_lead or soc_manager, evidence
70     tier-3-raised                        2, ir_lead, evidence (critical/spike/bulk)
60     tier-3-user-impact                   1, ir_lead, evidence
55     tier-2-raised-low-confidence-agent   2, evidence
50     tier-2-raised                        2 (critical asset, spike, > 10 targets)
45     tier-2-low-confidence-agent          1, evidence (agent below 70% confidence)
40     tier-2-containment                   1
10     tier-0-1                             allow
=====  ===================================  ==========================================

"raised" is ``criticality == 'critical' or spike or target_count > 10``
(unknown assets are critical in both; an agent is any non-human principal; a
missing confidence counts as 0 in both), written out as three ``and`` clauses
joined by ``or`` because the condition language has no parentheses. Each
context carries the action's tier from the catalog (``action.tier``, as our
engine puts it in Cedar's context); writing tiers instead as the catalog's
action lists (``action.type in [...]``) measured about 5% slower, so the
baseline gets the faster form. The scope rule lists each agent's actions
outside its scopes. The engine returns the effect and the approvers; the
approval count and evidence flag are read from the matched rule's row above.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentiles

ROLES_3 = ["approver:ir_lead"]
ROLES_4 = ["approver:ir_lead", "approver:soc_manager"]


def _in(actions: list[str]) -> str:
    return "action.type in [" + ", ".join(f"'{a}'" for a in actions) + "]"


def _raised(condition: str) -> str:
    return " or ".join(
        f"{condition} and {extra}"
        for extra in (
            "resource.criticality == 'critical'",
            "context.spike",
            "context.target_count > 10",
        )
    )


def rules() -> tuple[list[dict[str, Any]], dict[str, tuple[int, bool]]]:
    """The global rules, and (approvals, evidence view) for each require_approval rule.

    Higher priorities are checked first, so a lower rule can say ``action.tier >= 2``
    for "tier 2" once the tier 3 and 4 rules above it have taken those.
    """
    low_agent = "action.tier >= 2 and principal.type == 'Agent' and context.confidence < 0.7"
    table: list[tuple[str, str, str, list[str], int, int, bool]] = [
        # name, condition, action, approvers, priority, approvals, evidence view
        (
            "agent-never-tier-4",
            "principal.type == 'Agent' and action.tier >= 4",
            "deny",
            [],
            90,
            0,
            False,
        ),
        ("tier-4-destructive", "action.tier >= 4", "require_approval", ROLES_4, 80, 2, True),
        ("tier-3-raised", _raised("action.tier >= 3"), "require_approval", ROLES_3, 70, 2, True),
        ("tier-3-user-impact", "action.tier >= 3", "require_approval", ROLES_3, 60, 1, True),
        (
            "tier-2-raised-low-confidence-agent",
            _raised(low_agent),
            "require_approval",
            [],
            55,
            2,
            True,
        ),
        ("tier-2-raised", _raised("action.tier >= 2"), "require_approval", [], 50, 2, False),
        ("tier-2-low-confidence-agent", low_agent, "require_approval", [], 45, 1, True),
        ("tier-2-containment", "action.tier >= 2", "require_approval", [], 40, 1, False),
        ("tier-0-1", "action.tier <= 1", "allow", [], 10, 0, False),
    ]
    documents = [
        {
            "name": name,
            "condition": cond,
            "action": action,
            "approvers": approvers,
            "priority": prio,
        }
        for name, cond, action, approvers, prio, _, _ in table
    ]
    requirements = {name: (n, ev) for name, _, action, _, _, n, ev in table if action != "deny"}
    return documents, requirements


def build_engine(tiers: dict[str, int], agents: dict[str, list[str]]) -> tuple[Any, Any, int]:
    import yaml

    with warnings.catch_warnings():
        # agentmesh warns that its separate distribution is deprecated in favour of
        # agent-governance-toolkit-core, which is the package that ships it here.
        warnings.simplefilter("ignore", DeprecationWarning)
        from agentmesh.governance.policy import PolicyEngine

    engine = PolicyEngine()
    documents, requirements = rules()
    policy = {
        "apiVersion": "governance.toolkit/v1",
        "name": "soc-blast-radius",
        "agents": ["*"],
        "default_action": "deny",
        "rules": documents,
    }
    engine.load_yaml(yaml.safe_dump(policy))
    count = len(documents)
    for agent, scopes in agents.items():
        outside = sorted(set(tiers) - set(scopes))
        if not outside:
            continue
        scope_rule = {
            "name": "agent-within-scope",
            "condition": _in(outside),
            "action": "deny",
            "priority": 100,
        }
        doc = {
            "apiVersion": "governance.toolkit/v1",
            "name": f"scopes-{agent}",
            "agents": [agent],
            "default_action": "deny",
            "rules": [scope_rule],
        }
        engine.load_yaml(yaml.safe_dump(doc))
        count += 1
    return engine, requirements, count


def _mapped(decision: Any, requirements: dict[str, tuple[int, bool]]) -> list[Any]:
    if decision.action == "require_approval":
        approvals, evidence = requirements[decision.matched_rule]
        return ["require_approval", approvals, sorted(decision.approvers), evidence]
    return [decision.action, 0, [], False]


def calibrate(iterations: int) -> float:
    """p50 (µs) of agent_os ``PolicyEvaluator.evaluate`` on a 10-rule, one-condition policy
    and a two-field context whose rule is the first checked: the shape of the toolkit's
    published "10-rule policy" figure (0.012 ms p50), to compare this machine with theirs.
    """
    from agent_os.policies import (
        PolicyAction,
        PolicyCondition,
        PolicyDefaults,
        PolicyDocument,
        PolicyEvaluator,
        PolicyOperator,
        PolicyRule,
    )

    doc = PolicyDocument(
        name="calibration",
        rules=[
            PolicyRule(
                name=f"r{i}",
                condition=PolicyCondition(
                    field="action", operator=PolicyOperator.EQ, value=f"a{i}"
                ),
                action=PolicyAction.DENY if i % 3 == 0 else PolicyAction.ALLOW,
                priority=i,
            )
            for i in range(10)
        ],
        defaults=PolicyDefaults(action=PolicyAction.ALLOW),
    )
    evaluator = PolicyEvaluator(policies=[doc])
    context = {"action": "a9", "agent_id": "calibration"}
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        evaluator.evaluate(context)
        samples.append(time.perf_counter() - start)
    return percentiles(samples)[0]


def main() -> None:
    try:
        from importlib.metadata import version

        toolkit = version("agent-governance-toolkit-core")
    except Exception as exc:  # any failure means: not installed in this interpreter
        print(f"agent-governance-toolkit-core is not installed here: {exc}", file=sys.stderr)
        sys.exit(3)
    job = json.load(sys.stdin)
    best: tuple[float, float] | None = None
    for _ in range(job["rounds"]):  # a fresh engine each round, as on Affidavit's side
        engine, requirements, rule_count = build_engine(job["tiers"], job["agents"])
        for principal, context in job["warmup"]:
            engine.evaluate(principal, context)
        samples, outcomes = [], []
        evaluate, clock = engine.evaluate, time.perf_counter
        for principal, context in job["stream"]:
            start = clock()
            decision = evaluate(principal, context)
            samples.append(clock() - start)
            outcomes.append(decision)
        found = percentiles(samples)
        best = found if best is None else min(best, found)
    assert best is not None
    decisions = [_mapped(d, requirements) for d in outcomes]
    print(
        json.dumps(
            {
                "api": "agentmesh.governance.policy.PolicyEngine.evaluate",
                "package": f"agent-governance-toolkit-core {toolkit}",
                "python": sys.version.split()[0],
                "rules": rule_count,
                "p50_us": best[0],
                "p99_us": best[1],
                "decisions": decisions,
                "calibration_10_rule_p50_us": calibrate(job["calibration_iterations"]),
            }
        )
    )


if __name__ == "__main__":
    main()
