"""The main job, end to end, on the real parts: what ``affidavit demo`` runs.

Alerts arrive in seven vendor formats and open cases. A triage agent works the
most severe ones: it records its model steps, hands off to a responder agent,
and proposes enrichment and containment. Policy decides in proportion to blast
radius; people approve (or deny) under separation of duties; one emergency goes
through break-glass and is reviewed; the executor acts through the simulated
EDR, identity-provider and firewall connectors; people record dispositions.
Finally the ledger is checkpointed and verified, every touched case is replayed
from the ledger alone and compared with the state tables, and an auditor's
offline checks are run with nothing but the verifier key.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from affidavit.errors import AffidavitError
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from affidavit.governance.ingest import IngestResult
from affidavit.intake import Alert, normalize
from affidavit.ledger import merkle, note
from affidavit.ledger.verify import VerifyReport
from affidavit.oversight import replay_case
from affidavit.policy import parse_assets
from affidavit.samples.alerts import generate_alerts

__all__ = ["DemoReport", "run_demo"]

_PEOPLE = {
    "alice": ("analyst", "approver:ir_lead"),
    "bob": ("approver:ir_lead", "breakglass"),
    "carol": ("approver:soc_manager", "approver:ir_lead"),
    "olivia": ("analyst",),
}
_AGENT_SCOPES = (
    "enrich_ip_reputation",
    "enrich_hash_reputation",
    "lookup_host_context",
    "add_case_note",
    "isolate_host",
    "block_ip",
    "disable_account",
    "revoke_sessions",
    "wipe_host",
)
_AGENTS = {
    "triage": ("pii", "credential", "secret", "internal_identifier"),
    "responder": ("pii", "internal_identifier"),
}


@dataclass
class DemoReport:
    alerts: list[IngestResult] = field(default_factory=list)
    effects: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    approvals: int = 0
    refusals: list[str] = field(default_factory=list)
    dispositions: Counter[str] = field(default_factory=Counter)
    breakglass: int = 0
    steps: int = 0
    cases_replayed: int = 0
    verify: VerifyReport | None = None
    checkpoint_size: int = 0
    proof_seq: int = 0
    proof_hashes: int = 0
    old_size: int = 0
    world: dict[str, int] = field(default_factory=dict)
    """What the simulated EDR, identity provider and firewall now hold."""
    origin: str = ""
    verifier_key: str = ""
    """The log's origin and verifier key: all an auditor needs besides the ledger."""


def _tokens(gov: Governor) -> dict[str, str]:
    """Create the cast on first run; later runs rotate their tokens (both ledgered)."""
    existing = {i.id for i in gov.identities()}
    tokens: dict[str, str] = {}
    for name, roles in _PEOPLE.items():
        if name in existing:
            tokens[name] = gov.rotate_token(name)[0]
        else:
            tokens[name] = gov.add_identity(Identity(id=name, kind="human", roles=roles))[1]
    for name, classes in _AGENTS.items():
        if name in existing:
            tokens[name] = gov.rotate_token(name)[0]
        else:
            agent = Identity(
                id=name,
                kind="agent",
                owner="olivia",
                scopes=_AGENT_SCOPES,
                data_classes=classes,
                models=("soc-llm",),
            )
            tokens[name] = gov.add_identity(agent)[1]
    return tokens


def _criticality(host: str) -> str:
    if host.startswith(("srv-db", "srv-dc")):
        return "critical"
    if host.startswith(("srv-", "k8s-", "corp-data")):
        return "high"
    return "medium"


def _import_inventory(gov: Governor, alerts: list[Alert]) -> None:
    rows = ["id,kind,criticality,environment,owner,tags"]
    seen: set[tuple[str, str]] = set()
    for alert in alerts:
        for e in alert.entities:
            kind = e.kind.value
            if kind not in ("host", "user") or (kind, e.value) in seen or "," in e.value:
                continue
            seen.add((kind, e.value))
            crit = _criticality(e.value) if kind == "host" else "medium"
            rows.append(f"{e.value},{kind},{crit},prod,soc,demo")
    source = "demo inventory"
    gov.import_inventory(
        parse_assets("\n".join(rows) + "\n", fmt="csv", source=source), source=source
    )


def _first(alert: Alert, kind: str) -> str | None:
    return next(
        (e.value for e in alert.entities if e.kind.value == kind and "," not in e.value), None
    )


def _attempt(report: DemoReport, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one governed operation; a refusal is part of the story, recorded, not fatal."""
    try:
        return fn(*args, **kwargs)
    except AffidavitError as exc:
        report.refusals.append(f"{what}: {exc.message}")
        return None


def _work_case(
    gov: Governor, tok: dict[str, str], alert: Alert, case: str, report: DemoReport
) -> None:
    host, user, ip = _first(alert, "host"), _first(alert, "user"), _first(alert, "ip")
    summary = json.dumps({"title": alert.title, "severity": alert.severity.value}).encode()
    step = gov.record_step(
        tok["triage"],
        case=case,
        model="soc-llm",
        model_version="2026-10",
        prompt=b"Triage: " + summary,
        output=f"Likely true positive on {host or user}; contain.".encode(),
        data_classes=["internal_identifier"],
    )
    handoff = gov.record_step(
        tok["responder"],
        case=case,
        model="soc-llm",
        model_version="2026-10",
        prompt=b"Plan containment for the triage finding",
        output=b"isolate host; disable account",
        parents=[step.id],
    )
    report.steps += 2
    made = []
    if ip:
        made.append(
            gov.propose(
                tok["triage"],
                case=case,
                action="enrich_ip_reputation",
                target=f"ip:{ip}",
                step=step.id,
            )
        )
    if host:
        isolate = gov.propose(
            tok["responder"],
            case=case,
            action="isolate_host",
            target=f"host:{host}",
            confidence=0.91,
            rationale=alert.title[:200],
            evidence=[f"alert:{alert.vendor_alert_id}"],
            step=handoff.id,
        )
        made.append(isolate)
        # SoD in action: olivia owns the agents and may not approve their proposals.
        _attempt(
            report,
            "owner approves own agent",
            gov.approve,
            tok["olivia"],
            isolate.id,
            rationale="mine",
        )
        for approver in ("alice", "carol")[: isolate.approvals_required]:
            gov.view_evidence(tok[approver], isolate.id)
            if _attempt(
                report,
                "approve",
                gov.approve,
                tok[approver],
                isolate.id,
                rationale="confirmed in EDR telemetry",
            ):
                report.approvals += 1
        wipe = gov.propose(
            tok["triage"], case=case, action="wipe_host", target=f"host:{host}", confidence=0.99
        )
        made.append(wipe)  # an agent can never get tier 4 executed: policy denies
        gov.dispose(
            tok["alice"],
            wipe.id,
            outcome="overridden",
            reason="better_alternative",
            rationale="isolation contains it; wiping destroys evidence",
            override_with=isolate.id,
        )
        report.dispositions["overridden"] += 1
    if user:
        disable = gov.propose(
            tok["responder"],
            case=case,
            action="disable_account",
            target=f"user:{user}",
            confidence=0.82,
            rationale="credential misuse",
            step=handoff.id,
        )
        made.append(disable)
        gov.view_evidence(tok["bob"], disable.id)
        if _attempt(
            report,
            "approve",
            gov.approve,
            tok["bob"],
            disable.id,
            rationale="sign-ins from two countries",
        ):
            report.approvals += 1
    for proposal in made:
        report.effects[proposal.effect] += 1
        final = gov.proposal(proposal.id)
        if final.status == "executed" and proposal.action != "wipe_host":
            gov.dispose(tok["alice"], final.id, outcome="accepted", reason="true_positive")
            report.dispositions["accepted"] += 1


def _breakglass(gov: Governor, tok: dict[str, str], case: str, report: DemoReport) -> None:
    block = gov.propose(
        tok["triage"],
        case=case,
        action="block_ip",
        target="ip:203.0.113.66",
        confidence=0.97,
        rationale="active exfiltration to 203.0.113.66",
    )
    report.effects[block.effect] += 1
    if block.status == "pending_approval":
        gov.breakglass(
            tok["bob"], block.id, justification="exfiltration in progress; approvers unreachable"
        )
        gov.review_breakglass(
            tok["carol"], block.id, upheld=True, rationale="exfiltration confirmed; justified"
        )
        report.breakglass += 1


def run_demo(gov: Governor, alerts: int) -> DemoReport:
    report = DemoReport()
    ledger = gov.ledger
    old_checkpoint = ledger.checkpoint()
    raw = generate_alerts(alerts, seed=ledger.size())
    normalised = [normalize(a) for a in raw]
    tok = _tokens(gov)
    _import_inventory(gov, normalised)
    report.alerts = gov.ingest_objects(raw, actor="system:demo")
    ranked = sorted(
        (r for r in zip(report.alerts, normalised, strict=True) if r[0].seq is not None),
        key=lambda pair: (
            ("critical", "high").index(pair[1].severity.value)
            if pair[1].severity.value in ("critical", "high")
            else 9
        ),
    )
    touched = []
    for result, alert in ranked[:5]:
        _work_case(gov, tok, alert, result.case, report)
        touched.append(result.case)
    if touched:
        _breakglass(gov, tok, touched[0], report)
    for case in touched:
        replay = replay_case(ledger, case, gov.clock())
        if replay.state() != gov.case_state(case):
            raise AffidavitError(f"case {case}: the ledger replay differs from the state tables")
        report.cases_replayed += 1
    report.statuses = Counter(p.status for c in touched for p in gov.proposals(case=c))

    signed = ledger.checkpoint()
    report.verify = ledger.verify()
    key = ledger.verifier_key  # the auditor's only input, with what the ledger hands out
    checkpoint = note.Checkpoint.parse(note.verify(signed, [key]).text)
    seq = next((r.seq for r in report.alerts if r.seq is not None), checkpoint.size - 1)
    proof = ledger.inclusion_proof(seq, checkpoint.size)
    merkle.verify_inclusion(proof.leaf_hash, proof.seq, proof.size, proof.hashes, checkpoint.root)
    old = note.Checkpoint.parse(note.verify(old_checkpoint, [key]).text)
    consistency = ledger.consistency_proof(old.size, checkpoint.size)
    merkle.verify_consistency(
        old.size, checkpoint.size, consistency.hashes, old.root, checkpoint.root
    )
    report.checkpoint_size, report.proof_seq, report.proof_hashes = (
        checkpoint.size,
        seq,
        len(proof.hashes),
    )
    report.old_size = old.size
    report.world = _world(gov)
    report.origin, report.verifier_key = ledger.origin, key
    return report


def _world(gov: Governor) -> dict[str, int]:
    from sqlalchemy import func, select

    from affidavit.connectors import CONNECTOR_TABLES

    tables = {t.name: t for t in CONNECTOR_TABLES}
    sim_edr_hosts, sim_idp_accounts = tables["sim_edr_hosts"], tables["sim_idp_accounts"]
    sim_firewall_rules = tables["sim_firewall_rules"]
    with gov.ledger.db.read() as conn:
        return {
            "hosts isolated": conn.execute(
                select(func.count()).where(sim_edr_hosts.c.isolated.is_(True))
            ).scalar_one(),
            "accounts disabled": conn.execute(
                select(func.count()).where(sim_idp_accounts.c.disabled.is_(True))
            ).scalar_one(),
            "firewall rules": conn.execute(
                select(func.count()).select_from(sim_firewall_rules)
            ).scalar_one(),
        }
