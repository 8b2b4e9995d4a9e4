"""Governance benchmark: policy decision latency and governed proposals/s, with baselines.

    python bench/governance.py [--quick] [--json] [--profile] [--database-url URL]
                               [--baseline-python PYTHON]

Policy decision latency is ``PolicyEngine(PolicyBundle.default()).decide(request)``
alone (requests built beforehand), per call, over a seeded mix: 60% from agents
(one narrowly scoped, one an integration), 40% from people; tiers 0-4 weighted
toward 0-2 (35/20/25/12/8%), assets of every criticality
and some not in the inventory, spike on for 20%, bulk target counts for 5%,
confidences from none to 0.99, parameters where the catalog requires them and
often otherwise. Half of the stream repeats one of the previous 1,000 requests
(the same agent enriching the same indicator again). It is measured twice: with
the engine's decision cache off (``cache_size=0``, the real evaluation cost:
schema checks of the parameters plus a Cedar call) and on (the default cache,
so repeats are answered from it). Each is the best of three passes (the pass
with the lowest p50, on a fresh engine), and so is the baseline.

The same-run baseline is Microsoft's Agent Governance Toolkit
(agent-governance-toolkit-core, installed only in a bench virtualenv, see
bench/requirements-governance.txt): ``agentmesh.governance.policy.PolicyEngine
.evaluate(agent_id, context)`` with the equivalent rule set in bench/_agt_policy.py
(its docstring maps each rule), evaluated on the same stream in the same order,
each context a prebuilt dict of the request's fields. Every decision of theirs
is compared with ours (effect, approvals, approver roles, evidence view) and
the agreement is reported. It runs in a subprocess of ``--baseline-python``
(default /tmp/benchvenv/bin/python when present; otherwise the baseline is
reported as not installed). A calibration figure runs their own published
microbenchmark's shape (agent_os ``PolicyEvaluator.evaluate``, 10 one-condition
rules; they publish 0.012 ms p50) on this machine.

Governed proposals/s is ``Governor.propose`` end to end (authenticate, catalog
and schema checks, asset lookup, policy decision, then case opened if new,
proposal.created, and authorization.issued when allowed, each a durable ledger
entry) from 1 and 16 threads on a fresh ledger, with the Governor built as the
tests build it (in-memory connectors). The mix: 80% from an agent, 20% from an
analyst; 45% tier 0, 20% tier 1, 25% tier 2, 7% tier 3, 3% tier 4; 10% of
targets missing from the inventory. Measured with auto-execute on (the default:
allowed proposals are executed at once through the in-memory connectors and the
execution ledgered, inside the same call) and off (``auto_execute=False``:
propose only). The baseline is raw durable single-row SQLite commits/s
(bench/ledger.py's ``bench_raw_inserts``) of rows the size of the entries written.

``--profile`` runs one caller's proposals (SQLite, propose only) again under
cProfile in the caller and the ledger writer thread and prints where the time
goes: by component (self time, waits between the threads left out), by stage,
statements and commits per proposal, and the top functions. The profiler
roughly doubles the cost of code that makes many small calls (SQLAlchemy), so
read the shares as a ranking; the process CPU per proposal printed under the
proposal tables is measured without it.

SQLite (in a temporary directory) is always measured. With ``--database-url
postgresql+psycopg://...`` the proposals are measured on PostgreSQL too, each
run in a scratch schema dropped afterwards, beside pgbench's simple-update
throughput (``pgbench -N``, 16 clients) on a scratch database of that server.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sqlalchemy import event

from _common import emit_json, machine, percentiles, print_table, rate
from _postgres import pgbench_tps, server_version
from affidavit.config import load_settings
from affidavit.connectors import InMemoryConnector
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from affidavit.ledger.log import Ledger
from affidavit.policy import (
    CRITICALITIES,
    Asset,
    Catalog,
    DecisionRequest,
    PolicyBundle,
    PolicyEngine,
    Principal,
)
from ledger import bench_raw_inserts, fresh_database

BENCH = Path(__file__).resolve().parent
DEFAULT_BASELINE_PYTHON = Path("/tmp/benchvenv/bin/python")
TARGET_PROPOSALS_PER_S = 5_000
DECISION_ROUNDS = 3  # passes over the decision stream; the one with the lowest p50 counts
AGT_PUBLISHED_10_RULE_P50_US = 12.0
CONNECTORS = ("intel", "idp", "edr", "case", "ticketing", "webhook", "firewall", "email")
TIER_WEIGHTS = {0: 35, 1: 20, 2: 25, 3: 12, 4: 8}

# Parameters each action is proposed with: required ones always, the rest often.
PARAMS: dict[str, dict[str, Any]] = {
    "enrich_ip_reputation": {"sources": ["virustotal", "abuseipdb"]},
    "enrich_domain_reputation": {"sources": ["virustotal"]},
    "enrich_hash_reputation": {"sources": ["malwarebazaar"]},
    "lookup_user_context": {"sign_in_days": 7},
    "lookup_host_context": {"include_processes": True},
    "add_case_note": {"text": "Triage: beaconing to a newly registered domain every 60 s."},
    "create_ticket": {"summary": "Reimage after containment", "priority": "high"},
    "notify_owner": {"message": "Your host was isolated while we investigate an alert."},
    "isolate_host": {"comment": "C2 beaconing", "allow_ips": ["10.0.0.5"]},
    "block_ip": {"ttl_seconds": 86400, "direction": "both"},
    "block_domain": {"ttl_seconds": 86400, "include_subdomains": True},
    "quarantine_file": {"hosts": ["pc-sales-0215"]},
    "kill_process": {"pid": 4242},
    "block_sender": {"ttl_seconds": 604800},
    "disable_account": {"comment": "Impossible travel and MFA fatigue"},
    "revoke_sessions": {"comment": "Token theft suspected"},
    "force_password_reset": {"notify_user": True},
    "wipe_host": {"comment": "Ransomware on disk"},
    "delete_mailbox_items": {"message_ids": ["<phish-4411@mail.example>"]},
}
REQUIRED_PARAMS = {"create_ticket", "block_domain", "kill_process", "delete_mailbox_items"}

# ---------------------------------------------------------------- decision mix


def _principals(catalog: Catalog) -> tuple[list[Principal], list[Principal]]:
    by_tier = {n: [a.id for a in catalog if a.tier == n] for n in range(5)}
    humans = [
        Principal("alice", "human", roles=("analyst", "approver:ir_lead")),
        Principal("dave", "human", roles=("analyst",)),
        Principal("carol", "human", roles=("approver:ir_lead", "approver:soc_manager")),
    ]
    broad = (*by_tier[0], *by_tier[1], *by_tier[2], *by_tier[3], "wipe_host")
    narrow = (*by_tier[0], "add_case_note", "isolate_host", "block_ip", "kill_process")
    agents = [
        Principal("triage", "agent", owner="olivia", scopes=broad),
        Principal("responder", "agent", owner="olivia", scopes=narrow),
        Principal("soar", "integration", owner="olivia", scopes=(*by_tier[0], *by_tier[2])),
    ]
    return humans, agents


def _request(rng: random.Random, catalog: Catalog, prefix: str) -> DecisionRequest:
    humans, agents = _principals(catalog)
    principal = rng.choice(agents) if rng.random() < 0.6 else rng.choice(humans)
    tier = rng.choices(list(TIER_WEIGHTS), weights=list(TIER_WEIGHTS.values()))[0]
    action = rng.choice([a for a in catalog if a.tier == tier])
    kind = rng.choice(action.target_kinds)
    ident = f"{prefix}{kind}-{rng.randrange(40):02d}"
    if rng.random() < 0.1:
        target = Asset.unknown(kind, ident + "-new")
    else:
        target = Asset(
            id=ident,
            kind=kind,
            criticality=rng.choice(CRITICALITIES),
            environment=rng.choice(("prod", "prod", "staging", "lab")),
            owner="it-ops",
            tags=("windows",) if kind == "host" else (),
        )
    with_params = action.id in REQUIRED_PARAMS or rng.random() < 0.4
    confidence = None if rng.random() < 0.15 else round(rng.uniform(0.3, 0.99), 2)
    return DecisionRequest(
        principal=principal,
        action=action.id,
        targets=[target],
        params=PARAMS.get(action.id, {}) if with_params else {},
        confidence=confidence,
        spike=rng.random() < 0.2,
        target_count=25 if rng.random() < 0.05 else None,
    )


def decision_stream(catalog: Catalog, size: int, seed: int = 7) -> list[DecisionRequest]:
    """``size`` requests; half repeat one of the previous 1,000, the rest are new."""
    rng = random.Random(seed)
    stream: list[DecisionRequest] = []
    for _ in range(size):
        if stream and rng.random() < 0.5:
            stream.append(rng.choice(stream[-1000:]))
        else:
            stream.append(_request(rng, catalog, ""))
    return stream


def warmup_requests(catalog: Catalog, size: int) -> list[DecisionRequest]:
    """Other targets than the stream's, so a warm cache holds none of the stream."""
    rng = random.Random(11)
    return [_request(rng, catalog, "warm-") for _ in range(size)]


def bench_decisions(
    bundle: PolicyBundle,
    stream: list[DecisionRequest],
    warmup: list[DecisionRequest],
    cache: bool,
    rounds: int,
) -> dict[str, float]:
    """p50/p99 of ``decide`` over the stream: the round with the lowest p50, each on a
    fresh engine (so every round starts with an empty decision cache)."""
    best: tuple[float, float] | None = None
    for _ in range(rounds):
        engine = PolicyEngine(bundle) if cache else PolicyEngine(bundle, cache_size=0)
        for request in warmup:
            engine.decide(request)
        decide, clock, samples = engine.decide, time.perf_counter, []
        for request in stream:
            start = clock()
            decide(request)
            samples.append(clock() - start)
        found = percentiles(samples)
        best = found if best is None else min(best, found)
    assert best is not None
    return {"p50_us": best[0], "p99_us": best[1]}


def repeat_share(stream: list[DecisionRequest]) -> float:
    seen: set[int] = set()
    repeats = 0
    for request in stream:
        repeats += id(request) in seen
        seen.add(id(request))
    return repeats / len(stream)


def _outcome(engine: PolicyEngine, request: DecisionRequest) -> list[Any]:
    d = engine.decide(request)
    return [d.effect, d.approvals_required, list(d.approver_roles), d.require_evidence_view]


# ------------------------------------------------------------ AGT baseline


def _agt_context(request: DecisionRequest, tiers: dict[str, int]) -> list[Any]:
    [asset] = request.targets
    principal = request.principal
    context = {
        "principal": {"id": principal.id, "type": "Human" if principal.is_human else "Agent"},
        "action": {"type": request.action, "tier": tiers[request.action]},
        "resource": {
            "kind": asset.kind,
            "id": asset.id,
            "criticality": asset.criticality,
            "environment": asset.environment,
            "known": asset.known,
        },
        "context": {
            "spike": request.spike,
            "confidence": request.confidence,
            "target_count": request.target_count,
        },
    }
    return [principal.id, context]


def run_agt(
    python: Path | None,
    catalog: Catalog,
    stream: list[DecisionRequest],
    warmup: list[DecisionRequest],
    calibration_iterations: int,
    rounds: int,
) -> dict[str, Any]:
    """The AGT figures from a subprocess of ``python``; {"status": ...} when unavailable."""
    if python is None:
        return {"status": f"not installed (no {DEFAULT_BASELINE_PYTHON}, no --baseline-python)"}
    if not python.exists():
        return {"status": f"not installed ({python} not found)"}
    _, agents = _principals(catalog)
    tiers = {a.id: a.tier for a in catalog}
    job = {
        "tiers": tiers,
        "agents": {a.id: list(a.scopes) for a in agents},
        "warmup": [_agt_context(r, tiers) for r in warmup],
        "stream": [_agt_context(r, tiers) for r in stream],
        "calibration_iterations": calibration_iterations,
        "rounds": rounds,
    }
    out = subprocess.run(
        [str(python), str(BENCH / "_agt_policy.py")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode == 3:
        return {"status": f"not installed in {python}"}
    if out.returncode != 0:
        raise RuntimeError(f"the AGT baseline failed:\n{out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout)
    result["status"] = "measured"
    return result


def agreement(engine: PolicyEngine, stream: list[DecisionRequest], theirs: list[Any]) -> int:
    """How many of the stream's decisions are the same under both rule sets."""
    same, shown = 0, 0
    for request, their in zip(stream, theirs, strict=True):
        ours = _outcome(engine, request)
        if ours == their:
            same += 1
        elif shown < 5:  # a few examples make a mismatch in the rule mapping easy to find
            shown += 1
            print(f"differs: {request} -> ours {ours}, AGT {their}", file=sys.stderr)
    return same


# ------------------------------------------------------ governed proposals


@dataclass(frozen=True)
class _Proposal:
    who: str  # "agent" or "human"
    case: str
    action: str
    target: str
    params: dict[str, Any]
    confidence: float | None


_GOVERNED_MIX = {
    0: [
        ("enrich_ip_reputation", "ip"),
        ("enrich_domain_reputation", "domain"),
        ("lookup_host_context", "host"),
        ("lookup_user_context", "user"),
    ],
    1: [("add_case_note", "case"), ("create_ticket", "host")],
    2: [("isolate_host", "host"), ("block_ip", "ip"), ("block_domain", "domain")],
    3: [("disable_account", "user"), ("revoke_sessions", "user")],
    4: [("wipe_host", "host")],
}
_GOVERNED_WEIGHTS = {0: 45, 1: 20, 2: 25, 3: 7, 4: 3}
_ASSETS_PER_KIND = 100


def _asset_id(kind: str, n: int) -> str:
    return {
        "ip": f"10.20.{n // 250}.{n % 250 + 1}",
        "domain": f"cdn{n:04d}.example.net",
        "host": f"pc-sales-{n:04d}",
        "user": f"u{n:04d}@corp.example",
    }[kind]


def _assets_csv(path: Path) -> Path:
    lines = ["id,kind,criticality,environment,owner,tags"]
    for kind in ("ip", "domain", "host", "user"):
        for n in range(_ASSETS_PER_KIND):
            crit = CRITICALITIES[n % 4]
            lines.append(f"{_asset_id(kind, n)},{kind},{crit},prod,it-ops,bench")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def proposal_plan(count: int, seed: int = 5) -> list[_Proposal]:
    rng = random.Random(seed)
    plan = []
    for _ in range(count):
        tier = rng.choices(list(_GOVERNED_WEIGHTS), weights=list(_GOVERNED_WEIGHTS.values()))[0]
        action, kind = rng.choice(_GOVERNED_MIX[tier])
        case = f"CASE-{rng.randrange(max(1, count // 20)):05d}"
        n = rng.randrange(_ASSETS_PER_KIND + _ASSETS_PER_KIND // 9)  # ~10% not imported
        target = f"case:{case}" if kind == "case" else f"{kind}:{_asset_id(kind, n)}"
        human = rng.random() < 0.2
        with_params = action in REQUIRED_PARAMS or rng.random() < 0.4
        plan.append(
            _Proposal(
                who="human" if human else "agent",
                case=case,
                action=action,
                target=target,
                params=PARAMS[action] if with_params else {},
                confidence=None if human else round(rng.uniform(0.4, 0.99), 2),
            )
        )
    return plan


def open_governor(home: Path, url: str, auto_execute: bool) -> tuple[Governor, dict[str, str]]:
    """A Governor on a fresh ledger with an analyst, an agent (and its owner) and assets."""
    env = {
        "AFFIDAVIT_HOME": str(home),
        "AFFIDAVIT_DATABASE_URL": url,
        "AFFIDAVIT_CHECKPOINT_INTERVAL": "0",
    }
    settings = load_settings(env)
    connectors = {name: InMemoryConnector(name) for name in CONNECTORS}
    gov = Governor(Ledger.open(settings), settings, connectors=connectors)
    if not auto_execute:
        gov.publish_configuration("authorizations: {auto_execute: false}\n")
    gov.add_identity(Identity(id="olivia", kind="human", roles=("approver:ir_lead",)))
    _, human = gov.add_identity(
        Identity(id="alice", kind="human", roles=("analyst", "approver:ir_lead"))
    )
    scopes = tuple(a for pairs in _GOVERNED_MIX.values() for a, _ in pairs)
    _, agent = gov.add_identity(Identity(id="triage", kind="agent", owner="olivia", scopes=scopes))
    gov.import_assets(_assets_csv(home / "assets.csv"))
    return gov, {"agent": agent, "human": human}


def bench_proposals(
    home: Path, url: str, callers: int, count: int, auto_execute: bool
) -> dict[str, Any]:
    home.mkdir(parents=True, exist_ok=True)
    gov, tokens = open_governor(home, url, auto_execute)
    try:
        for who in ("agent", "human"):  # writer thread, engine and caches warm
            gov.propose(tokens[who], case="CASE-WARM", action="add_case_note", target="case:W")
        plan = proposal_plan(count // callers * callers)
        return _run_proposals(gov, tokens, plan, callers)
    finally:
        gov.close()


def _run_proposals(
    gov: Governor, tokens: dict[str, str], plan: list[_Proposal], callers: int
) -> dict[str, Any]:
    statuses: Counter[str] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(part: list[_Proposal]) -> None:
        done: Counter[str] = Counter()
        for p in part:
            try:
                proposal = gov.propose(
                    tokens[p.who],
                    case=p.case,
                    action=p.action,
                    target=p.target,
                    params=p.params,
                    confidence=p.confidence,
                    rationale="bench",
                )
                done[proposal.status] += 1
            except Exception as exc:  # reported below: a failing run has no figure
                errors.append(exc)
                return
        with lock:
            statuses.update(done)

    workers = [threading.Thread(target=run, args=(plan[n::callers],)) for n in range(callers)]
    before = gov.ledger.size()
    opened = Counter[str]()

    def on_connect(*_: object) -> None:
        opened["connections"] += 1  # a pool that is too small opens and closes connections

    event.listen(gov.ledger.db.engine, "connect", on_connect)

    def go() -> None:
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    cpu = time.process_time()
    per_s = rate(len(plan), go)
    cpu = time.process_time() - cpu
    event.remove(gov.ledger.db.engine, "connect", on_connect)
    if errors:
        raise RuntimeError(f"{len(errors)} proposals failed; first: {errors[0]!r}")
    return {
        "per_s": per_s,
        "proposals": len(plan),
        "entries_per_proposal": (gov.ledger.size() - before) / len(plan),
        "cpu_ms_per_proposal": cpu / len(plan) * 1e3,
        "connections_opened": opened["connections"],
        "statuses": dict(statuses),
    }


def measure_proposals(server: str | None, work: Path, quick: bool) -> dict[str, Any]:
    """Proposals/s at 1 and 16 callers, auto-execute on and off, on one backend."""
    count = {1: 200 if quick else 1_000, 16: 800 if quick else 5_000}
    figures: dict[str, Any] = {}
    for auto, mode in ((True, "auto_execute"), (False, "propose_only")):
        for callers in (1, 16):
            home = work / f"{mode}-{callers}"
            with fresh_database(server, home) as url:
                figures[f"{mode}_{callers}"] = bench_proposals(
                    home, url, callers, count[callers], auto
                )
    return figures


def mean_entry_bytes(home: Path, url: str) -> int:
    with Ledger.open(
        load_settings({"AFFIDAVIT_HOME": str(home), "AFFIDAVIT_DATABASE_URL": url})
    ) as ledger:
        sizes = [len(e.data) for e in ledger.entries()]
    return round(sum(sizes) / len(sizes))


# ------------------------------------------------------------------ profile


@contextmanager
def _profiled_threads() -> Iterator[list[cProfile.Profile]]:
    """Run every thread started inside the block under its own cProfile."""
    profiles: list[cProfile.Profile] = []
    original = threading.Thread.run

    def run(self: threading.Thread) -> None:
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.enable()
        try:
            original(self)
        finally:
            profile.disable()

    threading.Thread.run = run  # type: ignore[method-assign]
    try:
        yield profiles
    finally:
        threading.Thread.run = original  # type: ignore[method-assign]


_WAITS = ("acquire' of '_thread", "'get' of '_queue", "'put' of '_queue", "wait' of")
_COMPONENTS = (
    ("SQLite commit (WAL sync)", ("'commit' of 'sqlite3",)),
    ("SQLite connect/close (pool overflow)", ("_sqlite3.connect", "'close' of 'sqlite3")),
    ("SQLite statements", ("sqlite3.",)),
    ("SQLAlchemy (statement build/compile, rows)", ("/sqlalchemy/",)),
    ("Cedar (cedarpy)", ("cedarpy", "builtins.Entities")),
    ("jsonschema (params)", ("/jsonschema", "/referencing/", "/rpds")),
    ("affidavit.policy (requests, decisions)", ("/affidavit/policy/",)),
    ("affidavit.ledger (entries, Merkle, group commit)", ("/affidavit/ledger/",)),
    ("canonical JSON / json", ("/affidavit/canonical.py", "/json/", "'dumps'", "'loads'")),
    ("affidavit.governance", ("/affidavit/governance/",)),
    ("affidavit.connectors / store", ("/affidavit/connectors/", "/affidavit/store/")),
    ("hashing and signing", ("hashlib", "_hashlib", "/cryptography/", "hmac")),
    ("datetime / uuid / secrets", ("datetime", "uuid", "secrets", "strftime")),
    ("affidavit (other)", ("/affidavit/",)),
)
_STAGES = (
    ("propose, in the caller (whole call)", "governance/governor.py", "propose"),
    ("  authenticate (token hash, identity read)", "governance/governor.py", "authenticate"),
    ("  catalog: params schema check", "policy/catalog.py", "validate_params"),
    ("  asset lookup", "governance/assets.py", "lookup"),
    ("  active policy lookup", "governance/policies.py", "engine"),
    ("  policy decision", "policy/engine.py", "decide"),
    (
        "  auto-execute (2 more group commits, reads)",
        "governance/governor.py",
        "_maybe_execute",
    ),
    ("ledger writer thread (every group commit)", "ledger/log.py", "_commit"),
    ("  propose command (checks, rows, entries)", "governance/governor.py", "command"),
    ("  executor.start command", "governance/executor.py", "start"),
    ("  executor.finish command", "governance/executor.py", "finish"),
    ("  ledger entries appended (encode, hash, insert)", "ledger/batch.py", "append"),
)


def _component(key: tuple[str, int, str]) -> str | None:
    text = f"{key[0]}:{key[2]}"
    if any(w in text for w in _WAITS):
        return None
    for name, marks in _COMPONENTS:
        if any(m in text for m in marks):
            return name
    return "builtins and stdlib (isinstance, dict.get, re, enum, ...)"


def profile_proposals(work: Path, quick: bool) -> dict[str, Any]:
    """Where one caller's proposals spend their time (SQLite, propose only).

    Every thread (the caller and the ledger writer) runs under cProfile. With
    one caller nothing competes for the GIL, so a function's own time is its
    CPU time, apart from the waits left out of the shares (locks and queues
    between the caller and the writer) and the WAL sync inside SQLite's COMMIT.
    """
    count = 300 if quick else 1_000
    home = work / "profile"
    home.mkdir(parents=True)
    with _profiled_threads() as profiles:
        gov, tokens = open_governor(home, f"sqlite:///{home / 'affidavit.db'}", False)
        try:
            result = _run_proposals(gov, tokens, proposal_plan(count), 1)
        finally:
            gov.close()
    stats = pstats.Stats(profiles[0])
    for p in profiles[1:]:
        stats.add(p)
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    busy: Counter[str] = Counter()
    for key, (_, _, tottime, _, _) in raw.items():
        component = _component(key)
        if component is not None:
            busy[component] += tottime
    total = sum(busy.values())
    n = result["proposals"]

    def calls(fragment: str, path: str = "~") -> int:
        return sum(v[1] for k, v in raw.items() if fragment in k[2] and k[0].endswith(path))

    stages = {}
    for label, path, func in _STAGES:
        found = [v for k, v in raw.items() if k[0].endswith(path) and k[2] == func]
        if sum(v[3] for v in found) / n > 5e-6:  # stages that did not run are left out
            stages[label] = sum(v[3] for v in found) / n * 1e3
    top = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)
    return {
        "proposals": n,
        "per_s_under_profiler": result["per_s"],
        "busy_ms_per_proposal": total / n * 1e3,
        "components": {k: v / total for k, v in busy.most_common()},
        "stages_ms_per_proposal": stages,
        "group_commits_per_proposal": calls("_commit", "ledger/log.py") / n,
        "sql_statements_per_proposal": calls("'execute' of 'sqlite3.Cursor'") / n,
        "sqlite_commits_per_proposal": calls("'commit' of 'sqlite3.Connection'") / n,
        "sqlite_connections_opened": calls("_sqlite3.connect"),
        "top_functions": [
            {"function": f"{Path(k[0]).name}:{k[1]}({k[2]})", "self_s": v[2], "calls": v[1]}
            for k, v in top
            if _component(k) is not None
        ][:15],
    }


# --------------------------------------------------------------------- main


def measure_decisions(args: argparse.Namespace) -> dict[str, Any]:
    catalog = Catalog.default()
    bundle = PolicyBundle.default(catalog)
    size = 2_000 if args.quick else 10_000
    stream, warmup = decision_stream(catalog, size), warmup_requests(catalog, 300)
    f: dict[str, Any] = {
        "requests": size,
        "repeat_share": repeat_share(stream),
        "rounds": DECISION_ROUNDS,
        "cache_off": bench_decisions(bundle, stream, warmup, False, DECISION_ROUNDS),
        "cache_on": bench_decisions(bundle, stream, warmup, True, DECISION_ROUNDS),
    }
    python = args.baseline_python
    if python is None and DEFAULT_BASELINE_PYTHON.exists():
        python = DEFAULT_BASELINE_PYTHON
    agt = run_agt(python, catalog, stream, warmup, 2_000 if args.quick else 10_000, DECISION_ROUNDS)
    if agt["status"] == "measured":
        reference = PolicyEngine(bundle, cache_size=0)
        agt["agreeing_decisions"] = agreement(reference, stream, agt.pop("decisions"))
    f["agt"] = agt
    return f


def _decision_rows(f: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    agt = f["agt"]
    measured = agt["status"] == "measured"
    theirs = f"{agt['p50_us']:.0f} / {agt['p99_us']:.0f} µs AGT" if measured else agt["status"]
    rows = []
    for key, label in (
        ("cache_off", "policy decision p50 / p99, decision cache off (evaluation cost)"),
        (
            "cache_on",
            f"policy decision p50 / p99, decision cache on ({f['repeat_share']:.0%} repeats)",
        ),
    ):
        ours = f[key]
        ratio = f"{ours['p50_us'] / agt['p50_us']:.2f}x" if measured else "-"
        rows.append((label, f"{ours['p50_us']:.0f} / {ours['p99_us']:.0f} µs", theirs, ratio))
    if measured:
        rows.append(
            (
                "decisions equal under both rule sets",
                f"{agt['agreeing_decisions']:,} / {f['requests']:,}",
                f"{agt['rules']} AGT rules",
                "-",
            )
        )
        rows.append(
            (
                "AGT's published 10-rule microbenchmark, p50",
                "-",
                f"{agt['calibration_10_rule_p50_us']:.0f} µs here ({AGT_PUBLISHED_10_RULE_P50_US:.0f} µs published)",
                "-",
            )
        )
    return rows


def _proposal_rows(
    f: dict[str, Any], baseline: float, baseline_name: str
) -> list[tuple[str, str, str, str]]:
    base = f"{baseline:,.0f} {baseline_name}"
    rows = []
    for mode, label in (("auto_execute", "auto-execute on"), ("propose_only", "propose only")):
        for callers in (1, 16):
            r = f[f"{mode}_{callers}"]["per_s"]
            who = "1 caller" if callers == 1 else f"{callers} callers"
            rows.append(
                (f"governed proposals/s, {who}, {label}", f"{r:,.0f}", base, f"{r / baseline:.2f}x")
            )
    return rows


def _mix_lines(f: dict[str, Any]) -> list[str]:
    run = f["auto_execute_16"]
    total = sum(run["statuses"].values())
    shares = ", ".join(f"{n / total:.0%} {s}" for s, n in sorted(run["statuses"].items()))
    runs = [
        (f[f"{mode}_{n}"], f"{n} {label}")
        for mode, label in (("auto_execute", "auto-execute"), ("propose_only", "propose only"))
        for n in (1, 16)
    ]
    cpu = ", ".join(f"{r['cpu_ms_per_proposal']:.2f} ms ({label})" for r, label in runs)
    conns = ", ".join(f"{r['connections_opened']} ({label})" for r, label in runs)
    return [
        f"Outcomes (16 callers, auto-execute on): {shares}; "
        f"{run['entries_per_proposal']:.2f} ledger entries per proposal.",
        f"Process CPU per proposal, all threads: {cpu}.",
        f"Database connections opened during the timed runs: {conns}.",
    ]


def _print_profile(p: dict[str, Any]) -> None:
    print(
        f"\nProfile: {p['proposals']:,} proposals from 1 caller on SQLite, propose only, "
        f"cProfile in the caller and the ledger writer ({p['per_s_under_profiler']:,.0f}/s under "
        f"the profiler); {p['busy_ms_per_proposal']:.2f} ms busy per proposal, waits excluded"
    )
    print("| component (self time, waits excluded) | share |")
    print("|---|---|")
    for name, share in p["components"].items():
        print(f"| {name} | {share:.0%} |")
    print("\n| stage (cumulative) | ms per proposal |")
    print("|---|---|")
    for name, ms in p["stages_ms_per_proposal"].items():
        print(f"| {name} | {ms:.3f} |")
    print(
        f"\nPer proposal: {p['group_commits_per_proposal']:.2f} group commits, "
        f"{p['sql_statements_per_proposal']:.1f} SQL statements, "
        f"{p['sqlite_commits_per_proposal']:.2f} SQLite COMMITs (reads included); "
        f"{p['sqlite_connections_opened']} SQLite connections opened during the run"
    )
    print("\nTop functions by self time:")
    for t in p["top_functions"]:
        print(f"  {t['self_s']:7.3f} s  {t['calls']:>8,}  {t['function']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--profile", action="store_true", help="profile the proposal path")
    parser.add_argument(
        "--baseline-python",
        type=Path,
        default=None,
        help=f"a Python with agent-governance-toolkit-core (default {DEFAULT_BASELINE_PYTHON} if present)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="also measure proposals on this PostgreSQL server (postgresql+psycopg://...), beside pgbench",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="affidavit-bench-") as tmp:
        work = Path(tmp)
        figures: dict[str, Any] = {"machine": machine(), "decisions": measure_decisions(args)}
        figures["sqlite"] = measure_proposals(None, work / "sqlite", args.quick)
        sample = work / "sqlite" / "auto_execute-16"
        figures["entry_bytes"] = mean_entry_bytes(sample, f"sqlite:///{sample / 'affidavit.db'}")
        figures["raw_sqlite_durable_inserts_per_s"] = bench_raw_inserts(
            work, 1_000 if args.quick else 3_000, figures["entry_bytes"]
        )
        if args.database_url:
            figures["postgres_server"] = server_version(args.database_url)
            figures["postgres"] = measure_proposals(
                args.database_url, work / "postgres", args.quick
            )
            figures["pgbench_simple_update_tps"] = pgbench_tps(
                args.database_url,
                clients=16,
                threads=2,
                seconds=5 if args.quick else 10,
                scale=1 if args.quick else 10,
            )
        if args.profile:
            figures["profile"] = profile_proposals(work, args.quick)

    if args.json:
        emit_json(figures)
        return
    m, d = figures["machine"], figures["decisions"]
    agt = d["agt"]
    print_table(
        f"Policy decision latency, {d['requests']:,} requests ({m['cpu']}, {m['cores']} cores, "
        f"Python {m['python']}, {m['date']}); ratio = ours ÷ AGT p50, lower is better"
        + (f"; baseline {agt['api']} ({agt['package']})" if agt["status"] == "measured" else ""),
        _decision_rows(d),
    )
    print_table(
        f"Governed proposals on SQLite {m['sqlite']} (entries {figures['entry_bytes']} bytes on average)",
        _proposal_rows(
            figures["sqlite"],
            figures["raw_sqlite_durable_inserts_per_s"],
            "raw single-row commits/s",
        ),
    )
    print("\n".join(_mix_lines(figures["sqlite"])))
    if args.database_url:
        print_table(
            f"Governed proposals on {figures['postgres_server']}, same machine, same run",
            _proposal_rows(
                figures["postgres"],
                figures["pgbench_simple_update_tps"],
                "pgbench -N tps (16 clients)",
            ),
        )
        print("\n".join(_mix_lines(figures["postgres"])))
    _print_targets(figures)
    if args.profile:
        _print_profile(figures["profile"])


def _print_targets(figures: dict[str, Any]) -> None:
    d, agt = figures["decisions"], figures["decisions"]["agt"]
    if agt["status"] == "measured":
        met = d["cache_off"]["p50_us"] <= agt["p50_us"]
        print(
            f"\nTarget: decision p50 no slower than AGT's: {'met' if met else 'NOT met'} "
            f"with the cache off ({d['cache_off']['p50_us']:.0f} vs {agt['p50_us']:.0f} µs), "
            f"{'met' if d['cache_on']['p50_us'] <= agt['p50_us'] else 'NOT met'} with it on"
        )
    for backend in ("sqlite", "postgres"):
        if backend in figures:
            best = figures[backend]["propose_only_16"]["per_s"]
            met = best >= TARGET_PROPOSALS_PER_S
            print(
                f"Target: >= {TARGET_PROPOSALS_PER_S:,} governed proposals/s with 16 callers on "
                f"{backend}: {'met' if met else 'NOT met'} ({best:,.0f}/s propose only)"
            )


if __name__ == "__main__":
    main()
