"""Evidence queries about people and agents: oversight, approvals, identities, owners."""

from __future__ import annotations

from affidavit.oversight import entry_types as et
from affidavit.oversight.evidence import GAP, NOT_APPLICABLE, PASS, Evidence, ReportContext, query

__all__: list[str] = []  # importing registers the queries


@query("human_approval_required")
def _approval(ctx: ReportContext) -> Evidence:
    gated = ctx.count("proposal.require_approval")
    if not gated:
        return Evidence(NOT_APPLICABLE, "no proposal in the window needed a person's approval")
    by_people = ctx.count("authorization.approvals")
    glass = ctx.count("authorization.breakglass")
    return Evidence(
        PASS,
        f"{gated} proposals needed approval; {by_people} were authorized by people's approvals "
        f"and {glass} by a reviewed break-glass; none by the model",
        tuple(ctx.links("proposal.require_approval", "authorization.approvals")),
    )


@query("separation_of_duties")
def _separation(ctx: ReportContext) -> Evidence:
    decided = ctx.count(et.APPROVAL_GRANTED) + ctx.count(et.APPROVAL_DENIED)
    if not decided:
        return Evidence(NOT_APPLICABLE, "nobody approved or denied anything in the window")
    breaches = ctx.count("approval.separation_breach")
    if breaches:
        return Evidence(
            GAP,
            f"{breaches} approvals were decided by the proposer or by the owner of the proposing "
            "agent (the configuration had approvals.owner_may_approve on)",
            tuple(ctx.links("approval.separation_breach")),
        )
    return Evidence(
        PASS,
        f"none of {decided} approval decisions was made by the proposer or the agent's owner",
        tuple(ctx.links(et.APPROVAL_GRANTED)),
    )


@query("approvers_not_rubber_stamping")
def _rubber(ctx: ReportContext) -> Evidence:
    rows = ctx.health.approvers
    if not rows:
        return Evidence(NOT_APPLICABLE, "nobody approved or denied anything in the window")
    flagged = [r for r in rows if r["flags"]]
    if flagged:
        who = "; ".join(f"{r['approver']} ({', '.join(r['flags'])})" for r in flagged)
        return Evidence(
            GAP,
            f"approval patterns suggest automation bias: {who}; review these approvers' "
            "decisions and coach or rotate them",
            tuple(s for r in flagged for s in r["entries"]),
        )
    return Evidence(
        PASS,
        f"{len(rows)} approvers: none approves almost everything at volume, fast, or without "
        "opening the evidence",
        tuple(ctx.links(et.EVIDENCE_VIEWED)),
    )


@query("overrides_recorded")
def _overrides(ctx: ReportContext) -> Evidence:
    proposals = ctx.count(et.PROPOSAL_CREATED)
    if not proposals:
        return Evidence(NOT_APPLICABLE, "no recommendation was made in the window")
    names = ("disposition.overridden", "disposition.rejected", "disposition.modified")
    overruled = sum(ctx.count(n) for n in names) + ctx.count(et.APPROVAL_DENIED)
    denied = ctx.count("proposal.deny")
    if not overruled:
        return Evidence(
            GAP,
            f"of {proposals} recommendations none was rejected, overridden, modified or denied "
            "by a person: the ability to disregard the AI is not evidenced in this window",
        )
    return Evidence(
        PASS,
        f"people rejected, overrode, modified or denied {overruled} recommendations (with a "
        f"rationale); policy refused {denied} more outright",
        tuple(ctx.links(*names, et.APPROVAL_DENIED)),
    )


@query("dispositions_recorded")
def _dispositions(ctx: ReportContext) -> Evidence:
    proposals = ctx.count(et.PROPOSAL_CREATED)
    recorded = ctx.count(et.DISPOSITION_RECORDED)
    if not proposals and not recorded:
        return Evidence(NOT_APPLICABLE, "no recommendation was made in the window")
    if not recorded:
        return Evidence(
            GAP,
            f"{proposals} recommendations, but no person recorded what became of any of them "
            "(`affidavit dispose`): acceptance cannot be measured",
        )
    return Evidence(
        PASS,
        f"{recorded} dispositions with reason codes for {proposals} recommendations",
        tuple(ctx.links(et.DISPOSITION_RECORDED)),
    )


@query("acceptance_monitored")
def _monitored(ctx: ReportContext) -> Evidence:
    rows = ctx.health.rates["agent"]
    if not rows:
        return Evidence(NOT_APPLICABLE, "no disposition of an AI recommendation in the window")
    drifting = [d for d in ctx.health.drift if d["flagged"]]
    if drifting:
        moved = "; ".join(
            f"{d['agent']} {d['baseline_rate']:.0%} -> {d['recent_rate']:.0%}" for d in drifting
        )
        return Evidence(
            GAP,
            f"acceptance of some agents' recommendations drifted: {moved}; re-evaluate these "
            "agents and their models",
            tuple(ctx.links("disposition.rejected", "disposition.overridden")),
        )
    return Evidence(
        PASS,
        f"acceptance, override and rejection rates tracked for {len(rows)} agents; no drift "
        "beyond the threshold",
        tuple(ctx.links(et.DISPOSITION_RECORDED)),
    )


@query("breakglass_reviewed")
def _breakglass(ctx: ReportContext) -> Evidence:
    glass = ctx.health.breakglass
    overdue = glass["overdue"]
    if overdue:
        return Evidence(
            GAP,
            f"{len(overdue)} break-glass authorizations are past their review deadline without "
            "a review by another person (`affidavit reviews --overdue`)",
            tuple(o["entry"] for o in overdue),
        )
    if not glass["invoked"]:
        return Evidence(NOT_APPLICABLE, "nobody broke glass in the window")
    late = f" ({glass['reviewed_late']} late)" if glass["reviewed_late"] else ""
    return Evidence(
        PASS,
        f"{glass['invoked']} break-glass authorizations, {glass['reviewed']} reviewed by "
        f"another person{late}; none overdue",
        tuple(ctx.links(et.BREAKGLASS_INVOKED, et.BREAKGLASS_REVIEWED)),
    )


@query("identities_registered")
def _registered(ctx: ReportContext) -> Evidence:
    unknown = ctx.count("actor.unregistered")
    if unknown:
        return Evidence(
            GAP,
            f"{unknown} people or agents acted before the ledger records their identity",
            tuple(ctx.links("actor.unregistered")),
        )
    if not ctx.state.identities:
        return Evidence(NOT_APPLICABLE, "no identity has been created")
    return Evidence(
        PASS,
        f"every person and agent that acted is one of {len(ctx.state.identities)} ledgered "
        "identities with a kind, roles or scopes, and an expiring token",
        tuple(i["seq"] for i in list(ctx.state.identities.values())[:6]),
    )


@query("owners_accountable")
def _owners(ctx: ReportContext) -> Evidence:
    agents = {n: i for n, i in ctx.state.identities.items() if i["kind"] != "human"}
    if not agents:
        return Evidence(NOT_APPLICABLE, "no agent, model or integration identity exists")
    gone = ctx.health.orphaned_agents
    if gone:
        named = ", ".join(f"{o['agent']} (owner {o['owner']} {o['owner_status']})" for o in gone)
        return Evidence(
            GAP,
            f"agents whose accountable owner left: {named}; assign a new owner or retire them",
            tuple(o["entry"] for o in gone),
        )
    return Evidence(
        PASS,
        f"all {len(agents)} agents have an active accountable owner",
        tuple(a["seq"] for a in list(agents.values())[:6]),
    )


@query("least_privilege")
def _privilege(ctx: ReportContext) -> Evidence:
    agents = {n: i for n, i in ctx.state.identities.items() if i["kind"] != "human"}
    if not agents:
        return Evidence(NOT_APPLICABLE, "no agent, model or integration identity exists")
    broad = sorted(n for n, i in agents.items() if i["all_data"] or not i["scopes"])
    if broad:
        return Evidence(
            GAP,
            f"agents without a bounded grant (no scopes, or every data class): {', '.join(broad)}",
            tuple(agents[n]["seq"] for n in broad),
        )
    refused = ctx.count("proposal.deny")
    return Evidence(
        PASS,
        f"all {len(agents)} agents hold explicit action scopes and data classes; policy "
        f"refused {refused} proposals in the window",
        tuple(ctx.links("proposal.deny")),
    )


@query("agents_can_be_deactivated")
def _deactivated(ctx: ReportContext) -> Evidence:
    names = (et.IDENTITY_SUSPENDED, et.IDENTITY_RETIRED)
    stopped = sum(ctx.count(n) for n in names)
    if not stopped:
        return Evidence(
            NOT_APPLICABLE,
            "no identity was suspended or retired in the window (`affidavit identity suspend` "
            "stops an agent at once: its token is refused)",
        )
    return Evidence(
        PASS,
        f"{stopped} identities were suspended or retired; their tokens were refused from then on",
        tuple(ctx.links(*names)),
    )


@query("credentials_managed")
def _credentials(ctx: ReportContext) -> Evidence:
    if not ctx.state.identities:
        return Evidence(NOT_APPLICABLE, "no identity has been created")
    rotated = ctx.count(et.IDENTITY_TOKEN_ROTATED)
    return Evidence(
        PASS,
        f"{len(ctx.state.identities)} identities, each with an expiring token stored only as a "
        f"hash; {rotated} tokens rotated in the window",
        tuple(ctx.links(et.IDENTITY_TOKEN_ROTATED, et.IDENTITY_CREATED)),
    )
