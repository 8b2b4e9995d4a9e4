"""Who may call what: one table, route name -> the roles allowed.

An identity's API roles come from its kind and its roles: agents and models
are ``agent``, integrations ``integration``; a person has ``analyst``,
``auditor``, ``admin``, ``breakglass``, ``detokenize`` as granted, and
``approver`` when they hold any ``approver:<name>`` role. Every route names its
entry here; a route without one cannot be registered (see ``auth.allow``), and
tests walk every route against every role.

Routes marked OWN in the comments filter or refuse what belongs to other
identities when the caller is an agent or integration (their own proposals,
steps and payloads only).
"""

from __future__ import annotations

from types import MappingProxyType

from affidavit.governance.identities import Identity

__all__ = ["ALL_ROLES", "HUMAN_READERS", "PERMISSIONS", "api_roles", "is_machine"]

AGENT = "agent"
INTEGRATION = "integration"
ANALYST = "analyst"
APPROVER = "approver"
BREAKGLASS = "breakglass"
DETOKENIZE = "detokenize"
AUDITOR = "auditor"
ADMIN = "admin"

ALL_ROLES = frozenset(
    {AGENT, INTEGRATION, ANALYST, APPROVER, BREAKGLASS, DETOKENIZE, AUDITOR, ADMIN}
)
MACHINES = frozenset({AGENT, INTEGRATION})
HUMAN_READERS = frozenset({ANALYST, APPROVER, AUDITOR, ADMIN})
EVERYONE = ALL_ROLES

_TABLE: dict[str, frozenset[str]] = {
    "me": EVERYONE,
    # alerts
    "alerts.ingest": frozenset({INTEGRATION, ANALYST, ADMIN}),
    "alerts.list": HUMAN_READERS | MACHINES,  # the minimised summary only
    "webhooks.ingest": frozenset({INTEGRATION, ADMIN}),  # or an HMAC signature
    # cases
    "cases.list": HUMAN_READERS,
    "cases.show": HUMAN_READERS,
    "cases.timeline": HUMAN_READERS,
    # steps and evidence
    "steps.record": MACHINES,
    "steps.prepare": MACHINES,
    "steps.complete": MACHINES,  # OWN
    "steps.list": HUMAN_READERS | MACHINES,  # OWN
    "steps.show": HUMAN_READERS | MACHINES,  # OWN
    "payloads.show": HUMAN_READERS | MACHINES,  # OWN
    # proposals and decisions
    "proposals.create": frozenset({AGENT, INTEGRATION, ANALYST}),
    "proposals.list": EVERYONE,  # OWN
    "proposals.show": EVERYONE,  # OWN
    "proposals.decision": EVERYONE,  # OWN
    "proposals.evidence": HUMAN_READERS,  # records the view
    "proposals.evidence_item": HUMAN_READERS,  # records the item opened (friction)
    "proposals.approve": frozenset({APPROVER}),
    "proposals.deny": frozenset({APPROVER}),
    "proposals.breakglass": frozenset({BREAKGLASS}),
    "proposals.review": frozenset({APPROVER}),  # a reviewer could have approved it
    "proposals.execute": frozenset({INTEGRATION, ADMIN}),
    "proposals.claim_execution": MACHINES,  # OWN: executor=caller proposals
    "executions.report": MACHINES,  # OWN
    "proposals.dispose": frozenset({ANALYST}),
    "reviews.list": HUMAN_READERS,
    "executions.list": HUMAN_READERS,
    "events": EVERYONE,  # OWN
    "detokenize": frozenset({DETOKENIZE}),
    # administration
    "identities.list": frozenset({ADMIN, AUDITOR}),
    "identities.show": frozenset({ADMIN, AUDITOR}),
    "identities.create": frozenset({ADMIN}),
    "identities.status": frozenset({ADMIN}),
    "identities.rotate": frozenset({ADMIN}),
    "assets.list": HUMAN_READERS,
    "assets.import": frozenset({ADMIN}),
    "policy.show": HUMAN_READERS,
    "policy.history": HUMAN_READERS,
    "policy.bundle": HUMAN_READERS,
    "policy.publish": frozenset({ADMIN}),
    "policy.test": frozenset({ADMIN, AUDITOR, ANALYST}),
    # evidence administration: holds, erasure, retention, ownership, incidents, configuration
    "holds.list": frozenset({ADMIN, AUDITOR}),
    "holds.place": frozenset({ADMIN}),
    "holds.release": frozenset({ADMIN}),
    "erasures.erase": frozenset({ADMIN}),
    "erasures.request": frozenset({ADMIN}),
    "erasures.pending": frozenset({ADMIN, AUDITOR}),
    "erasures.approve": frozenset({ADMIN}),  # not the requester (the Governor checks)
    "retention.sweep": frozenset({ADMIN}),
    "identities.transfer": frozenset({ADMIN}),
    "incidents.list": frozenset({ADMIN, AUDITOR}),
    "configuration.show": frozenset({ADMIN, AUDITOR}),
    "configuration.history": frozenset({ADMIN, AUDITOR}),
    "configuration.version": frozenset({ADMIN, AUDITOR}),
    "configuration.publish": frozenset({ADMIN}),
    # the ledger: proofs and keys are public to any identity; entries to people
    "ledger.checkpoint": EVERYONE,
    "ledger.verifier_key": EVERYONE,
    "ledger.entries": HUMAN_READERS,
    "ledger.inclusion": EVERYONE,
    "ledger.consistency": EVERYONE,
    # /metrics (Prometheus): health signals name approvers and agents; a scraper
    # gets its own auditor identity
    "metrics": frozenset({AUDITOR, ADMIN}),
}
PERMISSIONS = MappingProxyType(_TABLE)


def api_roles(identity: Identity) -> frozenset[str]:
    if identity.kind == "integration":
        return frozenset({INTEGRATION})
    if not identity.is_human:
        return frozenset({AGENT})
    roles = {r for r in identity.roles if r in ALL_ROLES}
    if any(r.startswith("approver:") for r in identity.roles):
        roles.add(APPROVER)
    return frozenset(roles)


def is_machine(roles: frozenset[str]) -> bool:
    return bool(roles & MACHINES)
