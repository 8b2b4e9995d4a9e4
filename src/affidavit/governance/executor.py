"""The executor: the only component that acts, and only with an authorization.

An authorization (governance.authorization) is bound to one action hash and one
policy bundle, expires, and is consumed by its first use. Execution is two ledger entries around the
connector call: ``execution.started`` (consuming the authorization, in the
write transaction) and ``execution.finished``. The execution id is the
authorization id, and connectors are idempotent by it, so re-driving an
execution interrupted by a crash never runs the action twice.

A connector that answers ``Conflict`` did not act: the execution id is claimed
by a call still in flight (another thread or process) or left without a result
by a crash. That is not the execution's outcome, so nothing is recorded: the
attempt is refused and the running execution's record is left to the caller
that holds the claim (a contradicting ``failed`` would invite a second run).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from affidavit.connectors import ActionRequest, ActionResult, Connector
from affidavit.errors import Conflict, NotFound
from affidavit.governance import _tables as t
from affidavit.governance import authorization, lifecycle
from affidavit.governance import proposals as p
from affidavit.governance._common import from_json
from affidavit.governance.events import ExecutionFinished
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
    """Consume the proposal's authorization for exactly (action, target, params) and
    return the connector's request (see governance.authorization.consume).

    ``proposal`` may be the caller's copy: what it is read for (id, case, action,
    target, params) never changes after creation; what can change, its
    authorization and status, is read and consumed inside the write.
    """
    execution_id = authorization.consume(
        batch,
        proposal,
        action=action,
        target=target,
        params=params,
        active_bundle_hash=active_bundle_hash,
        connector=catalog.get(proposal.action).connector,
        now=now,
    )
    return _request(proposal, execution_id)


def _request(proposal: p.Proposal, execution_id: str) -> ActionRequest:
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
    except Conflict as exc:  # claimed elsewhere: nothing happened here, nothing is recorded
        raise Conflict(
            f"execution {request.execution_id} is already running (or was interrupted) in "
            f"another call; this attempt was refused and changed nothing. ({exc})"
        ) from exc
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
