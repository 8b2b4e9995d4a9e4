"""The main job, end to end, on the real parts: what ``affidavit demo`` runs.

Alerts arrive in seven vendor formats, with credentials and personal data planted
in some of them, and open cases. Three agents (triage, correlation, response) work
the most severe cases through the gateways, as deployed agents would: every model
call passes the OpenAI-compatible model gateway (the data policy treats what the
model receives and returns; the default model is rule-based and deterministic,
``--llm-url`` puts a real one behind it) and every tool call passes the MCP
gateway (each call a proposal decided by policy). People then decide what waits
for them through the API: approvals under separation of duties, a denial, one
break-glass with its review, dispositions; approved tool calls then run. Some
proposals are left pending for the console. Finally the ledger is checkpointed
and verified, every touched case is replayed from the ledger alone and compared
with the state tables, and an auditor's offline checks are run with nothing but
the verifier key.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
from mcp import Client as McpClient

from affidavit.api import ApiSettings, create_app
from affidavit.errors import AffidavitError
from affidavit.gateway import ModelGatewaySettings, ToolMapping, create_model_gateway
from affidavit.gateway.mcp import McpGatewaySettings, build_server, open_gateway
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from affidavit.governance.ingest import IngestResult
from affidavit.intake import Alert, normalize
from affidavit.ledger import merkle, note
from affidavit.ledger.verify import VerifyReport
from affidavit.oversight import replay_case
from affidavit.policy import default_policy_text, parse_assets
from affidavit.samples.alerts import generate_alerts
from affidavit.samples.background import Background
from affidavit.samples.decisions import decide
from affidavit.samples.pipeline import CaseRun, Pipeline
from affidavit.samples.soc_model import ModelState, create_soc_model, credentials_in
from affidavit.samples.soc_tools import MAPPING, create_soc_tools

__all__ = ["PERSONAS", "DemoReport", "run_demo"]

# persona -> (identity, roles); the owner of the agents is olivia
PERSONAS = {
    "admin": ("root", ("admin",)),
    "analyst": ("dave", ("analyst",)),
    "approver (IR lead)": ("alice", ("analyst", "approver:ir_lead")),
    "approver, break-glass": ("bob", ("approver:ir_lead", "breakglass")),
    "approver (SOC manager)": ("carol", ("approver:soc_manager", "approver:ir_lead")),
    "auditor": ("audrey", ("auditor",)),
    "agent owner": ("olivia", ("analyst", "approver:ir_lead")),
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
AGENTS = ("triage", "correlation", "response")
_AGENT_CLASSES = ("pii", "internal_identifier")  # never credential or secret: those are masked
_MODEL = "soc-rules"


@dataclass
class DemoReport:
    alerts: list[IngestResult] = field(default_factory=list)
    effects: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    approvals: int = 0
    denials: int = 0
    refusals: list[str] = field(default_factory=list)
    dispositions: Counter[str] = field(default_factory=Counter)
    breakglass: int = 0
    steps: int = 0
    model_calls: int = 0
    tool_calls: int = 0
    tools_forwarded: int = 0
    credentials_seen: int = 0
    placeholders_seen: int = 0
    cases_replayed: int = 0
    verify: VerifyReport | None = None
    checkpoint_size: int = 0
    proof_seq: int = 0
    proof_hashes: int = 0
    old_size: int = 0
    tokens: dict[str, str] = field(default_factory=dict)
    """persona -> a login token for it (people only)."""
    world: dict[str, int] = field(default_factory=dict)
    executors: Counter[str] = field(default_factory=Counter)
    """Executions by who acted: the tool server behind the MCP gateway, or a connector."""
    """What the simulated EDR, identity provider and firewall now hold."""
    origin: str = ""
    verifier_key: str = ""
    """The log's origin and verifier key: all an auditor needs besides the ledger."""


def _tokens(gov: Governor) -> dict[str, str]:
    """Create the cast on first run; later runs rotate their tokens (both ledgered).

    The admin (root) is created, or its token rotated, by whoever runs the demo (the
    operating-system user, ``local:USER@HOST``); every other administrative act is
    then root's, named by its token."""
    existing = {i.id for i in gov.identities()}
    admin, admin_roles = PERSONAS["admin"]
    if admin in existing:
        root = gov.rotate_token(admin)[0]
    else:
        root = gov.add_identity(Identity(id=admin, kind="human", roles=admin_roles))[1]
    tokens: dict[str, str] = {admin: root}
    for name, roles in PERSONAS.values():
        if name == admin:
            continue
        if name in existing:
            tokens[name] = gov.rotate_token(name, token=root)[0]
        else:
            person = Identity(id=name, kind="human", roles=roles)
            tokens[name] = gov.add_identity(person, token=root)[1]
    for name in AGENTS:
        if name in existing:
            tokens[name] = gov.rotate_token(name, token=root)[0]
        else:
            agent = Identity(
                id=name,
                kind="agent",
                owner="olivia",
                scopes=_AGENT_SCOPES,
                data_classes=_AGENT_CLASSES,
            )
            tokens[name] = gov.add_identity(agent, token=root)[1]
    return tokens


def _criticality(host: str) -> str:
    if host.startswith(("srv-db", "srv-dc")):
        return "critical"
    if host.startswith(("srv-", "k8s-", "corp-data")):
        return "high"
    return "medium"


def _import_inventory(gov: Governor, alerts: list[Alert], token: str) -> None:
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
    loaded = parse_assets("\n".join(rows) + "\n", fmt="csv", source=source)
    gov.import_inventory(loaded, source=source, token=token)


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


def _facts(alert: Alert, kind: str) -> str:
    """What the agents are told about an alert (the raw alert goes along, untreated)."""
    host, user, ip = _first(alert, "host"), _first(alert, "user"), _first(alert, "ip")
    if kind == "exfiltration" and ip is None:
        ip = "203.0.113.66"
    lines = [f"alert: {kind}", f"title: {alert.title}", f"severity: {alert.severity.value}"]
    lines += [f"{k}: {v}" for k, v in (("host", host), ("user", user), ("ip", ip)) if v]
    return "\n".join(lines)


async def _agents(
    api_url: str,
    model_url: str,
    model: str,
    tok: dict[str, str],
    work: list[tuple[str, str, str]],
    report: DemoReport,
) -> list[CaseRun]:
    """The three agents work each case through the gateways; people decide; approved
    tool calls are called again and run."""
    mapping = ToolMapping.parse(MAPPING, "soc_tools.MAPPING")
    runs: list[CaseRun] = []
    async with AsyncExitStack() as stack:
        tools: dict[str, McpClient] = {}
        for agent in AGENTS:
            settings = McpGatewaySettings(
                affidavit_url=api_url,
                token=tok[agent],
                mapping=mapping,
                case="demo",
                in_process=True,
            )
            gateway = await open_gateway(stack, settings, McpClient(create_soc_tools()))
            tools[agent] = await stack.enter_async_context(McpClient(build_server(gateway)))
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=120.0))
        pipeline = Pipeline(model_url=model_url, model=model, tokens=tok, tools=tools, http=http)
        for case, facts, raw in work:
            try:
                runs.append(await pipeline.work(case, facts, raw))
            except AffidavitError as exc:
                report.refusals.append(f"pipeline: {exc.message}")
        decided = await asyncio.to_thread(decide, api_url, tok, runs)
        report.approvals, report.denials = decided.approvals, decided.denials
        report.breakglass = decided.breakglass
        report.refusals += decided.refusals
        for run in runs:  # what people approved now runs; what they denied is refused
            for outcome in [t for t in run.tools if t.proposal and t.status == "pending_approval"]:
                again = await pipeline.call_tool(
                    outcome.agent, run.case, outcome.tool, outcome.arguments
                )
                run.tools.append(again)
        report.model_calls = pipeline.model_calls
    return runs


def run_demo(
    gov: Governor,
    alerts: int,
    *,
    llm_url: str | None = None,
    llm_model: str = _MODEL,
    llm_key: str | None = None,
) -> DemoReport:
    report = DemoReport()
    for name in ("httpx", "mcp"):  # their per-request lines would bury the summary
        logging.getLogger(name).setLevel(logging.WARNING)
    ledger = gov.ledger
    old_checkpoint = ledger.checkpoint()
    raw = generate_alerts(alerts, seed=ledger.size())
    normalised = [normalize(a) for a in raw]
    tok = _tokens(gov)
    if not gov.policy_history(after=None, limit=1):  # first run: the default policy, published
        gov.publish_policy(default_policy_text(), token=tok[PERSONAS["admin"][0]])
    report.tokens = {persona: tok[name] for persona, (name, _) in PERSONAS.items()}
    _import_inventory(gov, normalised, tok[PERSONAS["admin"][0]])
    report.alerts = gov.ingest_objects(raw, actor="system:demo")
    ranked = sorted(
        (r for r in zip(report.alerts, normalised, raw, strict=True) if r[0].seq is not None),
        key=lambda row: (
            ("critical", "high").index(row[1].severity.value)
            if row[1].severity.value in ("critical", "high")
            else 9
        ),
    )
    # the four most severe, and the first one carrying a planted credential: the agents
    # must meet one for the demo to show that it never reaches the model
    chosen = ranked[:4]
    planted = [r for r in ranked[4:] if credentials_in(json.dumps(r[2], ensure_ascii=False))]
    chosen += planted[:1] or ranked[4:5]
    kinds = ("exfiltration", "ransomware", "intrusion", "intrusion", "intrusion")
    work = [
        (result.case, _facts(alert, kind), json.dumps(original, ensure_ascii=False))
        for (result, alert, original), kind in zip(chosen, kinds, strict=False)
    ]
    touched = [case for case, _, _ in work]
    state = ModelState()
    api = create_app(gov, ApiSettings(rate_per_s=0, poll_interval_s=0.05))
    with Background(api) as api_url, ExitStack() as servers:
        upstream = llm_url or servers.enter_context(Background(create_soc_model(state))) + "/v1"
        gateway = ModelGatewaySettings(
            upstream=upstream, affidavit_url=api_url, upstream_key=llm_key, case="demo"
        )
        model_url = servers.enter_context(Background(create_model_gateway(gateway)))
        runs = asyncio.run(_agents(api_url, model_url + "/v1", llm_model, tok, work, report))
    _dispose(gov, tok, runs, report)
    report.credentials_seen, report.placeholders_seen = (
        state.credentials_seen,
        state.placeholders_seen,
    )
    outcomes = [t for run in runs for t in run.tools]
    report.tool_calls = len(outcomes)
    report.tools_forwarded = sum(not t.error for t in outcomes)
    for case in touched:
        report.steps += len(gov.steps_page(after=None, limit=500, case=case, agent=None))
        replay = replay_case(ledger, case, gov.clock())
        if replay.state() != gov.case_state(case):
            raise AffidavitError(f"case {case}: the ledger replay differs from the state tables")
        report.cases_replayed += 1
    proposals = [p for c in touched for p in gov.proposals(case=c)]
    report.statuses = Counter(p.status for p in proposals)
    report.effects = Counter(p.effect for p in proposals)

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
    report.executors = _executors(gov)
    report.origin, report.verifier_key = ledger.origin, key
    return report


def _dispose(gov: Governor, tok: dict[str, str], runs: list[CaseRun], report: DemoReport) -> None:
    """An analyst closes the loop on what ran: accepted, or overridden by a better action."""
    for run in runs:
        by_tool = {t.tool: t for t in run.tools if t.proposal}
        for outcome in by_tool.values():
            assert outcome.proposal is not None
            proposal = gov.proposal(outcome.proposal)
            if proposal.status == "executed":
                gov.dispose(tok["alice"], proposal.id, outcome="accepted", reason="true_positive")
                report.dispositions["accepted"] += 1
        wipe, isolate = by_tool.get("wipe_host"), by_tool.get("isolate_host")
        if wipe is not None and wipe.proposal and isolate is not None and isolate.proposal:
            gov.dispose(
                tok["alice"],
                wipe.proposal,
                outcome="overridden",
                reason="better_alternative",
                rationale="isolation contains it; wiping destroys evidence",
                override_with=isolate.proposal,
            )
            report.dispositions["overridden"] += 1


def _executors(gov: Governor) -> Counter[str]:
    return Counter(
        "the MCP gateway's tool server"
        if x["connector"].startswith("gateway:")
        else "Affidavit's connectors"
        for x in gov.executions_page(after=None, limit=100_000)
    )


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
