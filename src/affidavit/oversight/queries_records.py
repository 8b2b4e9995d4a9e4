"""Evidence queries about records: what was logged, its integrity, decisions, executions."""

from __future__ import annotations

from affidavit.oversight import entry_types as et
from affidavit.oversight.evidence import GAP, NOT_APPLICABLE, PASS, Evidence, ReportContext, query

__all__: list[str] = []  # importing registers the queries

_NOT_OUTCOMES = frozenset({et.EXECUTION_STARTED, "execution.unauthorized"})


@query("activity_recorded")
def _activity(ctx: ReportContext) -> Evidence:
    total = sum(sum(ctx.state.days[d].values()) for d in ctx.days)
    if not total:
        return Evidence(NOT_APPLICABLE, "no ledger entries fall in the window")
    types = {t for d in ctx.days for t in ctx.state.days[d]}
    return Evidence(
        PASS,
        f"{total} state changes of {len(types)} kinds were recorded as ledger entries as they "
        "happened, each with its actor, time and case",
        tuple(ctx.links(et.PROPOSAL_CREATED, et.APPROVAL_GRANTED, et.EXECUTION_STARTED)),
    )


@query("ledger_integrity")
def _integrity(ctx: ReportContext) -> Evidence:
    if ctx.verify_error is not None:
        return Evidence(GAP, f"ledger verification failed: {ctx.verify_error}")
    if ctx.verified is None:
        return Evidence(NOT_APPLICABLE, "ledger verification was not run for this report")
    v = ctx.verified
    erased = f"; {v.erased} payloads erased on purpose, each erasure ledgered" if v.erased else ""
    return Evidence(
        PASS,
        f"all {v.size} entries re-hashed into the Merkle tree and {v.checkpoints} signed "
        f"checkpoints verified against the log's public key{erased}",
    )


@query("checkpoints_signed")
def _checkpoints(ctx: ReportContext) -> Evidence:
    if not ctx.ledger_size:
        return Evidence(NOT_APPLICABLE, "the ledger is empty")
    signed = ctx.checkpoint_size or 0
    if signed < ctx.ledger_size:
        return Evidence(
            GAP,
            f"{ctx.ledger_size - signed} entries are newer than the latest signed checkpoint "
            f"(size {signed}); run `affidavit ledger checkpoint` before exporting this report",
        )
    return Evidence(PASS, f"a signed checkpoint covers all {ctx.ledger_size} entries")


@query("decisions_recorded")
def _decisions(ctx: ReportContext) -> Evidence:
    n = ctx.count(et.PROPOSAL_CREATED)
    if not n:
        return Evidence(NOT_APPLICABLE, "no action was proposed in the window")
    return Evidence(
        PASS,
        f"{n} proposals, each ledgered with its policy decision, the bundle hash it was "
        "decided under and the exact inputs policy saw",
        tuple(ctx.links(et.PROPOSAL_CREATED)),
    )


@query("policy_versioned")
def _policy(ctx: ReportContext) -> Evidence:
    used, published = ctx.state.bundles_used, ctx.state.bundles_published
    if not used:
        return Evidence(NOT_APPLICABLE, "no policy decision has been made yet")
    unpublished = sorted(h for h in used if h not in published)
    if unpublished:
        return Evidence(
            GAP,
            f"{len(unpublished)} policy bundle(s) decided proposals without their text being "
            "published to the ledger (the built-in default bundle is used until one is "
            "published): run `affidavit policy publish` so the rules in force are on record",
            tuple(used[h] for h in unpublished),
        )
    return Evidence(
        PASS,
        f"every decision cites one of {len(published)} published bundles, text ledgered",
        tuple(published.values()),
    )


@query("no_unauthorized_execution")
def _executions(ctx: ReportContext) -> Evidence:
    started = ctx.count(et.EXECUTION_STARTED)
    if not started:
        return Evidence(NOT_APPLICABLE, "nothing was executed in the window")
    rogue = ctx.count("execution.unauthorized")
    if rogue:
        return Evidence(
            GAP,
            f"{rogue} executions started with no authorization in the ledger: investigate",
            tuple(ctx.links("execution.unauthorized")),
        )
    return Evidence(
        PASS,
        f"all {started} executions consumed a single-use authorization bound to the action",
        tuple(ctx.links(et.EXECUTION_STARTED)),
    )


@query("executions_tracked")
def _tracked(ctx: ReportContext) -> Evidence:
    started = ctx.count(et.EXECUTION_STARTED)
    if not started:
        return Evidence(NOT_APPLICABLE, "nothing was executed in the window")
    outcomes = [m for m in ctx.state.marks if m.startswith("execution.") and m not in _NOT_OUTCOMES]
    finished = sum(ctx.count(m) for m in outcomes)
    failed = ctx.count("execution.failed")
    if finished < started:
        return Evidence(
            GAP,
            f"{started - finished} of {started} executions have no recorded outcome (still "
            "running, or interrupted: re-drive them with `affidavit execute`)",
            tuple(ctx.links(et.EXECUTION_STARTED)),
        )
    return Evidence(
        PASS,
        f"all {started} executions have a recorded outcome ({failed} failed, kept on record)",
        tuple(ctx.links("execution.failed", "execution.succeeded")),
    )


@query("steps_recorded")
def _steps(ctx: ReportContext) -> Evidence:
    steps = ctx.count(et.STEP_RECORDED)
    unexplained = ctx.count("proposal.no_step")
    if not steps and not unexplained:
        return Evidence(NOT_APPLICABLE, "no agent recorded a model step in the window")
    if unexplained:
        return Evidence(
            GAP,
            f"{unexplained} agent proposals name no model step, so the model, version and prompt "
            "behind them are not on record: have agents pass --step when they propose",
            tuple(ctx.links("proposal.no_step")),
        )
    return Evidence(
        PASS,
        f"{steps} model steps recorded (agent, model, version, prompt, inputs, output as "
        "evidence by SHA-256); every agent proposal names the step behind it",
        tuple(ctx.links(et.STEP_RECORDED)),
    )


@query("handoffs_governed")
def _handoffs(ctx: ReportContext) -> Evidence:
    handoffs = ctx.count("step.handoff")
    if not handoffs:
        return Evidence(NOT_APPLICABLE, "no agent handed work to another agent in the window")
    return Evidence(
        PASS,
        f"{handoffs} agent-to-agent handoffs recorded as steps with their parents; the data "
        "classes crossing each were checked against the receiving agent's clearance",
        tuple(ctx.links("step.handoff")),
    )


@query("data_minimised")
def _minimised(ctx: ReportContext) -> Evidence:
    steps = ctx.count(et.STEP_RECORDED)
    if not steps:
        return Evidence(NOT_APPLICABLE, "no model step was recorded in the window")
    treated = ctx.count("step.treated")
    return Evidence(
        PASS,
        f"{steps} steps were stored under the data policy for their agent and model; in "
        f"{treated} of them sensitive values were masked or tokenized before storage",
        tuple(ctx.links("step.treated", et.STEP_RECORDED)),
    )


@query("alerts_recorded")
def _alerts(ctx: ReportContext) -> Evidence:
    alerts = ctx.health.alerts["total"]
    if not alerts:
        return Evidence(NOT_APPLICABLE, "no alert was ingested in the window")
    return Evidence(
        PASS,
        f"{alerts} alerts ingested, each with its raw vendor record kept as sealed evidence "
        "referenced by SHA-256 and a minimised summary in its case",
    )


@query("alert_surges_tracked")
def _surges(ctx: ReportContext) -> Evidence:
    alerts = ctx.health.alerts
    if not alerts["total"]:
        return Evidence(NOT_APPLICABLE, "no alert was ingested in the window")
    during = ctx.count("proposal.during_spike")
    return Evidence(
        PASS,
        f"alert volume tracked ({alerts['total']} alerts, {len(alerts['spikes'])} surges above "
        f"{alerts['threshold_per_15m']:.0f} per 15 minutes); {during} proposals were decided "
        "under the surge context, which raises approval requirements",
        tuple(ctx.links("proposal.during_spike")),
    )
