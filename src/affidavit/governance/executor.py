"""The executor: the only component that acts, and only with an authorization.

An authorization is bound to one action hash and one policy bundle, expires,
and is consumed by its first use. Execution is two ledger entries around the
connector call: ``execution.started`` (consuming the authorization, in the
write transaction) and ``execution.finished``. The execution id is the
authorization id, and connectors are idempotent by it, so re-driving an
execution interrupted by a crash never runs the action twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from affidavit.connectors import ActionRequest, ActionResult, Connector
from affidavit.errors import AuthError, Conflict, NotFound, PolicyError
from affidavit.governance import _tables as t
from affidavit.governance import lifecycle
from affidavit.governance import proposals as p
from affidavit.governance._common import from_json, iso
from affidavit.governance.events import ExecutionFinished, ExecutionStarted
from affidavit.governance.lifecycle import AUTHORIZED
from affidavit.ledger.batch import Batch
from affidavit.policy import Catalog

__all__ = ["finish", "start"]


def start(
    batch: Batch,
    proposal: p.Proposal,
    *,
    action: str,
    target: str,
    params: Mapping[str, Any],
    active_bundle_hash: str,
    catalog: Catalog,
    now: datetime,
) -> ActionRequest:
    """Consume the proposal's authorization for exactly (action, target, params).

    ``proposal`` may be the caller's copy: what it is read for (id, case, action,
    target, params) never changes after creation; what can change, its
    authorization, is read and consumed here, inside the write.
    """
    proposal_id = proposal.id
    auth = batch.conn.execute(_AUTHORIZATION, {"pid": proposal_id}).first()
    if auth is None:
        raise AuthError(f"proposal {proposal_id} has no authorization ({proposal.status})")
    execution = batch.conn.execute(select(t.executions).where(t.executions.c.id == auth.id)).first()
    if execution is not None and execution.status == "running":
        return _request(proposal, auth.id, catalog)  # re-drive an interrupted execution
    if auth.consumed_at is not None:
        raise Conflict(f"the authorization of {proposal_id} was already used at {auth.consumed_at}")
    if auth.proposal_status != AUTHORIZED:  # withdrawn by a disposition since
        raise Conflict(f"proposal {proposal_id} is {auth.proposal_status}; it is not executed")
    if auth.expires_at <= iso(now):
        raise AuthError(f"the authorization of {proposal_id} expired at {auth.expires_at}")
    if p.action_hash(action, target, params) != auth.action_hash:
        raise PolicyError(
            f"the action, target or parameters differ from what was authorized for {proposal_id}; "
            "a changed action needs a new proposal"
        )
    if auth.bundle_hash != active_bundle_hash:
        raise PolicyError(
            f"the policy changed since {proposal_id} was authorized "
            f"(bundle {auth.bundle_hash[:12]}, "
            f"now {active_bundle_hash[:12]}); propose again"
        )
    spec = catalog.get(proposal.action)
    batch.emit(
        ExecutionStarted(
            actor="system:executor",
            case=proposal.case_id,
            proposal=proposal_id,
            execution=auth.id,
            authorization=auth.id,
            action_hash=auth.action_hash,
            connector=spec.connector,
        )
    )
    return _request(proposal, auth.id, catalog)


# The authorization and, in the same read, the proposal's current status.
_AUTHORIZATION = (
    select(t.authorizations, t.proposals.c.status.label("proposal_status"))
    .join(t.proposals, t.proposals.c.id == t.authorizations.c.proposal_id)
    .where(t.authorizations.c.proposal_id == bindparam("pid"))
)


def _request(proposal: p.Proposal, execution_id: str, catalog: Catalog) -> ActionRequest:
    kind, _, target_id = proposal.target.partition(":")
    return ActionRequest(
        execution_id=execution_id,
        action=proposal.action,
        target_kind=kind,
        target_id=target_id,
        params=proposal.params,
        case=proposal.case_id,
        authorization_id=execution_id,
        action_hash=proposal.action_hash,
    )


def run_connector(
    connectors: Mapping[str, Connector], connector: str, request: ActionRequest
) -> ActionResult:
    found = connectors.get(connector)
    if found is None:
        return ActionResult(
            status="failed", detail={"error": f"no connector named {connector!r} is configured"}
        )
    try:
        return found.execute(request)
    except Exception as exc:  # a connector bug is a failed execution, recorded
        return ActionResult(status="failed", detail={"error": f"{type(exc).__name__}: {exc}"[:500]})


def finish(batch: Batch, execution_id: str, result: ActionResult, case_id: str) -> str:
    row = batch.conn.execute(select(t.executions).where(t.executions.c.id == execution_id)).first()
    if row is None:
        raise NotFound(f"no execution {execution_id}")
    if row.status != "running":
        return str(row.status)  # already finished: idempotent
    batch.emit(
        ExecutionFinished(
            actor="system:executor",
            case=case_id,
            proposal=row.proposal_id,
            execution=execution_id,
            status=result.status,
            detail=dict(result.detail),
            external_ref=result.external_ref,
        )
    )
    return lifecycle.target(ExecutionFinished, result.status)


def executions_of(batch_conn: Any, proposal_id: str) -> list[dict[str, Any]]:
    rows = batch_conn.execute(select(t.executions).where(t.executions.c.proposal_id == proposal_id))
    return [
        {
            "id": r.id,
            "connector": r.connector,
            "status": r.status,
            "result": None if r.result is None else from_json(r.result),
        }
        for r in rows
    ]
