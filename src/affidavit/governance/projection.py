"""The projector: the only code that writes the governance state tables.

Each governance event is applied here, in the transaction of the entry that
records it: live, through ``batch.emit(event)`` (a command checks, then emits),
and again on replay and rebuild, over entries read back from the ledger. The
tables are therefore a function of the ledger: :func:`replay_into` on a fresh
database yields the same rows as the live one (tests hold every table to it).

The one governance table not projected is ``tokens``: token hashes are never
ledgered (a ledger reader must learn nothing about credentials), so the
identities module keeps that credential store itself; its revocations follow
the ledgered lifecycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, or_, select, update

from affidavit.errors import Conflict, VerificationError
from affidavit.governance import _accountability_tables as at
from affidavit.governance import _tables as t
from affidavit.governance import events as ev
from affidavit.governance import lifecycle
from affidavit.governance._common import json_text
from affidavit.governance._config_tables import configurations
from affidavit.governance.assets import aliases_of
from affidavit.governance.events import actor_id
from affidavit.ledger.entry import StoredEntry
from affidavit.ledger.events import Event, Payload, event_class, parse_event
from affidavit.policy import Asset
from affidavit.policy.bundle import default_bundle_hash

__all__ = ["PROJECTED_TABLES", "apply", "clear", "replay_into"]

PROJECTED_TABLES: tuple[Table, ...] = (
    t.alerts,
    t.identities,
    t.assets,
    t.asset_aliases,
    t.policy_bundles,
    t.cases,
    t.steps,
    t.proposals,
    t.approvals,
    t.evidence_views,
    t.evidence_items_opened,
    t.stamp_signals,
    t.authorizations,
    t.executions,
    t.breakglass_reviews,
    t.dispositions,
    at.incidents,
    at.case_holds,
    at.erasure_requests,
    configurations,
)
"""Every governance state table the ledger determines (all but the credential store)."""

Handler = Callable[[Connection, Any, int, str], None]


def _identity_created(conn: Connection, e: ev.IdentityCreated, seq: int, time: str) -> None:
    conn.execute(
        t.identities.insert(),
        {
            "id": e.id,
            "kind": e.kind,
            "roles": json_text(list(e.roles)),
            "owner": e.owner,
            "scopes": json_text(list(e.scopes)),
            "data_classes": json_text(list(e.data_classes)),
            "models": json_text(list(e.models)),
            "status": e.status,
            "expires_at": e.expires_at,
            "created_at": time,
        },
    )


def _identity_status(conn: Connection, e: ev.IdentityStatusChanged, seq: int, time: str) -> None:
    i = t.identities
    conn.execute(update(i).where(i.c.id == e.identity).values(status=e.status))


def _assets_imported(conn: Connection, e: ev.AssetsImported, seq: int, time: str) -> None:
    a = t.assets
    for asset in (listed.canonical() for listed in e.assets):
        conn.execute(delete(a).where(a.c.kind == asset.kind, a.c.id == asset.id))
        conn.execute(
            a.insert(),
            {
                "kind": asset.kind,
                "id": asset.id,
                "criticality": asset.criticality,
                "environment": asset.environment,
                "owner": asset.owner,
                "tags": json_text(list(asset.tags)),
            },
        )
        _asset_aliases(conn, asset)


def _asset_aliases(conn: Connection, asset: Asset) -> None:
    """The asset's aliases replace those it had (see governance.assets.aliases_of)."""
    x = t.asset_aliases
    conn.execute(delete(x).where(x.c.kind == asset.kind, x.c.asset_id == asset.id))
    for alias in aliases_of(asset):
        conn.execute(x.insert(), {"kind": asset.kind, "alias": alias, "asset_id": asset.id})


def _policy_published(conn: Connection, e: ev.PolicyPublished, seq: int, time: str) -> None:
    b = t.policy_bundles
    conn.execute(delete(b).where(b.c.hash == e.bundle_hash))
    conn.execute(
        b.insert(),
        {"hash": e.bundle_hash, "text": e.text, "published_seq": seq, "published_by": e.actor},
    )


def _configuration_published(
    conn: Connection, e: ev.ConfigurationPublished, seq: int, time: str
) -> None:
    c = configurations
    conn.execute(delete(c).where(c.c.hash == e.config_hash))  # republished: in force again
    conn.execute(
        c.insert(),
        {
            "hash": e.config_hash,
            "text": e.text,
            "catalog_hash": e.catalog_hash,
            "published_seq": seq,
            "published_by": e.actor,
        },
    )


def _case_opened(conn: Connection, e: ev.CaseOpened, seq: int, time: str) -> None:
    conn.execute(
        t.cases.insert(),
        {"id": e.case, "opened_seq": seq, "opened_by": e.actor, "opened_at": time},
    )


def _step_recorded(conn: Connection, e: ev.StepRecorded, seq: int, time: str) -> None:
    conn.execute(
        t.steps.insert(),
        {
            "id": e.step,
            "case_id": e.case,
            "agent_id": e.agent,
            "model": e.model,
            "model_version": e.model_version,
            "parents": json_text(list(e.parents)),
            "data_classes": json_text(list(e.data_classes)),
            "seq": seq,
        },
    )


def _proposal_created(conn: Connection, e: ev.ProposalCreated, seq: int, time: str) -> None:
    d = e.decision
    conn.execute(
        t.proposals.insert(),
        {
            "id": e.id,
            "case_id": e.case,
            "step_id": e.step,
            "proposer_id": e.proposer,
            "action": e.action,
            "target": e.target,
            "params": json_text(dict(e.params)),
            "action_hash": e.action_hash,
            "confidence": e.confidence,
            "rationale": e.rationale,
            "evidence": json_text(list(e.evidence)),
            "effect": d["effect"],
            "approvals_required": d["approvals_required"],
            "approver_roles": json_text(list(d["approver_roles"])),
            "require_evidence_view": d["require_evidence_view"],
            "bundle_hash": d["bundle_hash"],
            "status": lifecycle.STATUS_AT_CREATION.get(e.effect, lifecycle.PENDING),
            "expires_at": e.expires_at,
            "created_at": time,
            "seq": seq,
            "executor": e.executor,
        },
    )


def _transition(
    conn: Connection, proposal_id: str, event: Event, seq: int, time: str, variant: str = ""
) -> None:
    """Move the proposal along the state machine, or refuse (lifecycle.TRANSITIONS)."""
    key = (type(event), variant)
    statement = _TRANSITION_UPDATES[key]
    changed = conn.execute(statement, {"pid": proposal_id, "now": time}).rowcount
    if changed != 1:
        raise Conflict(
            f"entry {seq}: {event.type} is not allowed for proposal {proposal_id} "
            f"in its state (allowed from: {', '.join(sorted(lifecycle.sources(*key)))})"
        )


def _transition_update(sources: frozenset[str], target: str) -> Any:
    p = t.proposals
    not_expired = or_(
        p.c.status != lifecycle.PENDING, p.c.expires_at.is_(None), p.c.expires_at > bindparam("now")
    )
    return (
        update(p)
        .where(p.c.id == bindparam("pid"), p.c.status.in_(sorted(sources)), not_expired)
        .values(status=target)
    )


# A pending proposal past its expiry is expired (derived at read time): no transition
# leaves it. Built once: the projector is on every command's path.
_TRANSITION_UPDATES = {
    key: _transition_update(sources, target)
    for key, (sources, target) in lifecycle.TRANSITIONS.items()
}


def _evidence_viewed(conn: Connection, e: ev.EvidenceViewed, seq: int, time: str) -> None:
    conn.execute(
        t.evidence_views.insert(),
        {"proposal_id": e.proposal, "identity_id": actor_id(e.actor), "seq": seq},
    )


def _evidence_item_opened(conn: Connection, e: ev.EvidenceItemOpened, seq: int, time: str) -> None:
    conn.execute(
        t.evidence_items_opened.insert(),
        {"proposal_id": e.proposal, "identity_id": actor_id(e.actor), "item": e.item, "seq": seq},
    )


def _stamp_signalled(conn: Connection, e: ev.RubberStampSignalled, seq: int, time: str) -> None:
    conn.execute(
        t.stamp_signals.insert(),
        {"identity_id": actor_id(e.actor), "proposal_id": e.proposal, "seq": seq},
    )


def _approval(conn: Connection, e: ev.ApprovalRecorded, seq: int, time: str) -> None:
    conn.execute(
        t.approvals.insert(),
        {
            "proposal_id": e.proposal,
            "approver_id": actor_id(e.actor),
            "verdict": e.verdict,
            "rationale": e.rationale,
            "seq": seq,
        },
    )
    if isinstance(e, ev.ApprovalDenied):
        _transition(conn, e.proposal, e, seq, time)


def _check_grounds(conn: Connection, e: ev.AuthorizationIssued, seq: int) -> None:
    """An authorization stands on what the ledger already holds: the exact action hash
    and bundle its proposal was decided on, under a bundle published in the ledger (or
    the built-in one), and the grounds ``via`` names: an ``allow`` decision, approvals
    meeting the quorum, or a break-glass. Replay refuses one that does not, so
    ``ledger verify`` names a forged or buggy entry even when its signature is good."""
    p = t.proposals
    row = conn.execute(
        select(p.c.action_hash, p.c.bundle_hash, p.c.effect, p.c.approvals_required).where(
            p.c.id == e.proposal
        )
    ).first()
    where = f"entry {seq}: authorization.issued for {e.proposal}"
    if row is None:
        raise Conflict(f"{where}: no such proposal")
    if (row.action_hash, row.bundle_hash) != (e.action_hash, e.bundle_hash):
        raise Conflict(f"{where}: the action or bundle differs from what was decided")
    published = conn.execute(
        select(t.policy_bundles.c.hash).where(t.policy_bundles.c.hash == row.bundle_hash)
    ).first()
    if published is None and row.bundle_hash != default_bundle_hash():
        raise Conflict(f"{where}: bundle {row.bundle_hash[:12]} was never published")
    if e.via == "policy":
        grounded = row.effect == "allow"
    elif e.via == "approvals":
        a = t.approvals
        approvals = conn.execute(
            select(func.count())
            .select_from(a)
            .where(a.c.proposal_id == e.proposal, a.c.verdict == "approve")
        ).scalar_one()
        grounded = approvals >= max(1, row.approvals_required)
    elif e.via == "breakglass":
        r = t.breakglass_reviews
        grounded = (
            conn.execute(select(r.c.seq).where(r.c.proposal_id == e.proposal)).first() is not None
        )
    else:
        raise Conflict(f"{where}: unknown grounds {e.via!r}")
    if not grounded:
        raise Conflict(f"{where}: its grounds ({e.via}) are not in the ledger")


def _authorization(conn: Connection, e: ev.AuthorizationIssued, seq: int, time: str) -> None:
    _check_grounds(conn, e, seq)
    conn.execute(
        t.authorizations.insert(),
        {
            "id": e.authorization,
            "proposal_id": e.proposal,
            "action_hash": e.action_hash,
            "bundle_hash": e.bundle_hash,
            "via": e.via,
            "expires_at": e.expires_at,
            "consumed_at": None,
            "seq": seq,
        },
    )
    if e.via != "policy":  # a proposal policy allows is created authorized
        _transition(conn, e.proposal, e, seq, time)


def _breakglass_invoked(conn: Connection, e: ev.BreakglassInvoked, seq: int, time: str) -> None:
    conn.execute(
        t.breakglass_reviews.insert(),
        {
            "proposal_id": e.proposal,
            "invoked_by": actor_id(e.actor),
            "justification": e.justification,
            "due_at": e.review_due,
            "reviewed_by": None,
            "outcome": None,
            "rationale": None,
            "seq": seq,
        },
    )


def _breakglass_reviewed(conn: Connection, e: ev.BreakglassReviewed, seq: int, time: str) -> None:
    r = t.breakglass_reviews
    conn.execute(
        update(r)
        .where(r.c.proposal_id == e.proposal)
        .values(reviewed_by=actor_id(e.actor), outcome=e.outcome, rationale=e.rationale)
    )


def _execution_started(conn: Connection, e: ev.ExecutionStarted, seq: int, time: str) -> None:
    a = t.authorizations
    conn.execute(update(a).where(a.c.id == e.authorization).values(consumed_at=time))
    conn.execute(
        t.executions.insert(),
        {
            "id": e.execution,
            "proposal_id": e.proposal,
            "connector": e.connector,
            "status": "running",
            "result": None,
            "started_seq": seq,
            "finished_seq": None,
        },
    )


def _execution_finished(conn: Connection, e: ev.ExecutionFinished, seq: int, time: str) -> None:
    x = t.executions
    result = json_text({"detail": dict(e.detail), "external_ref": e.external_ref})
    conn.execute(
        update(x)
        .where(x.c.id == e.execution)
        .values(status=e.status, result=result, finished_seq=seq)
    )
    _transition(conn, e.proposal, e, seq, time, e.status)


def _disposition(conn: Connection, e: ev.DispositionRecorded, seq: int, time: str) -> None:
    conn.execute(
        t.dispositions.insert(),
        {
            "seq": seq,
            "proposal_id": e.proposal,
            "actor_id": actor_id(e.actor),
            "outcome": e.outcome,
            "reason": e.reason,
            "rationale": e.rationale,
            "override_proposal_id": e.override_with,
            "evidence_viewed": json_text(list(e.evidence_viewed)),
            "supersedes": e.supersedes,
        },
    )


def _withdrawn(conn: Connection, e: ev.ProposalWithdrawn, seq: int, time: str) -> None:
    _transition(conn, e.proposal, e, seq, time)


def _alert_ingested(conn: Connection, e: ev.AlertIngested, seq: int, time: str) -> None:
    # The primary key makes a second entry for one alert impossible, whatever raced.
    conn.execute(t.alerts.insert(), {"raw_sha256": e.raw_sha256, "seq": seq, "case_id": e.case})


# -- accountable administration (events/accountability.py) ------------------------


def _owner_transferred(
    conn: Connection, e: ev.IdentityOwnerTransferred, seq: int, time: str
) -> None:
    i = t.identities
    conn.execute(update(i).where(i.c.id == e.identity).values(owner=e.owner))


def _incident_opened(conn: Connection, e: ev.IncidentOpened, seq: int, time: str) -> None:
    conn.execute(
        at.incidents.insert(),
        {
            "id": e.incident,
            "case_id": e.case,
            "proposal_id": e.proposal,
            "reason": e.reason,
            "opened_by": e.actor,
            "opened_seq": seq,
            "cause_seq": e.review,
        },
    )


def _case_held(conn: Connection, e: ev.CaseHeld, seq: int, time: str) -> None:
    conn.execute(
        at.case_holds.insert(),
        {"case_id": e.case, "reason": e.reason, "held_by": e.actor, "held_seq": seq},
    )


def _case_released(conn: Connection, e: ev.CaseReleased, seq: int, time: str) -> None:
    h = at.case_holds
    if conn.execute(delete(h).where(h.c.case_id == e.case)).rowcount != 1:
        raise Conflict(f"entry {seq}: case {e.case} was not held")


def _erasure_requested(conn: Connection, e: ev.ErasureRequested, seq: int, time: str) -> None:
    conn.execute(
        at.erasure_requests.insert(),
        {
            "id": e.request,
            "cases": json_text(list(e.cases)),
            "payloads": json_text(list(e.payloads_sha256)),
            "reason": e.reason,
            "requested_by": e.actor,
            "requested_seq": seq,
            "approved_by": None,
            "approved_seq": None,
        },
    )


def _erasure_approved(conn: Connection, e: ev.ErasureApproved, seq: int, time: str) -> None:
    r = at.erasure_requests
    statement = (
        update(r)
        .where(r.c.id == e.request, r.c.approved_seq.is_(None))
        .values(approved_by=e.actor, approved_seq=seq)
    )
    if conn.execute(statement).rowcount != 1:
        raise Conflict(f"entry {seq}: erasure request {e.request} is not open")


def _nothing(conn: Connection, e: Event, seq: int, time: str) -> None:
    """Ledgered facts that change no state table (token reveals and rotations, erasures)."""


_HANDLERS: dict[type[Event], Handler] = {
    ev.IdentityCreated: _identity_created,
    ev.IdentitySuspended: _identity_status,
    ev.IdentityReactivated: _identity_status,
    ev.IdentityRetired: _identity_status,
    ev.TokenRotated: _nothing,
    ev.AssetsImported: _assets_imported,
    ev.PolicyPublished: _policy_published,
    ev.CaseOpened: _case_opened,
    ev.AlertIngested: _alert_ingested,
    ev.StepPrepared: _nothing,  # the prepared-step row holds a sealed original: see service_ops
    ev.StepRecorded: _step_recorded,
    ev.TokenRevealed: _nothing,
    ev.ProposalCreated: _proposal_created,
    ev.EvidenceViewed: _evidence_viewed,
    ev.ApprovalGranted: _approval,
    ev.ApprovalDenied: _approval,
    ev.AuthorizationIssued: _authorization,
    ev.BreakglassInvoked: _breakglass_invoked,
    ev.BreakglassReviewed: _breakglass_reviewed,
    ev.ExecutionStarted: _execution_started,
    ev.ExecutionFinished: _execution_finished,
    ev.DispositionRecorded: _disposition,
    ev.ProposalWithdrawn: _withdrawn,
    ev.EvidenceItemOpened: _evidence_item_opened,
    ev.RubberStampSignalled: _stamp_signalled,
    ev.IdentityOwnerTransferred: _owner_transferred,
    ev.IncidentOpened: _incident_opened,
    ev.CaseHeld: _case_held,
    ev.CaseReleased: _case_released,
    ev.ErasureRequested: _erasure_requested,
    ev.ErasureApproved: _erasure_approved,
    ev.ConfigurationPublished: _configuration_published,
}


def apply(conn: Connection, event: Event, seq: int, time: str) -> None:
    """Apply one event, recorded as entry ``seq`` at ``time``, to the state tables.

    Events of other types (the ledger's own, plugins') change no governance state.
    """
    handler = _HANDLERS.get(type(event))
    if handler is not None:
        handler(conn, event, seq, time)


def clear(conn: Connection) -> None:
    """Empty every projected table (children first), for a rebuild in place."""
    for table in reversed(PROJECTED_TABLES):
        conn.execute(delete(table))


def replay_into(
    conn: Connection,
    entries: Iterable[StoredEntry],
    load_payload: Callable[[str], bytes | None],
) -> int:
    """Apply every entry's event in order; returns how many entries were read.

    ``load_payload`` returns a payload's bytes (None once erased); it is only
    called for event types that need them (policy bundle and configuration texts).
    """
    count = 0
    for stored in entries:
        count += 1
        cls = event_class(stored.type)
        if cls is None or cls not in _HANDLERS:
            continue
        doc = stored.json()
        refs = doc.get("payloads", ())
        payloads = [Payload(r, load_payload(r) if cls.needs_payload_data else None) for r in refs]
        event = parse_event(stored, payloads, body=doc["body"])
        assert event is not None
        try:
            apply(conn, event, stored.seq, stored.time)
        except Conflict as exc:
            raise VerificationError(f"the ledger records an impossible change: {exc}") from None
    return count
