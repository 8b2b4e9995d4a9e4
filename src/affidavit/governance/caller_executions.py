"""Executions reported by the proposer that acted itself: the MCP gateway.

A gateway in front of a tool server forwards an authorized call to that server, which
acts. Were Affidavit's executor to run the same action through its connector too, one
authorization would act twice. So the gateway proposes with ``executor="caller"``
(Affidavit's executor then never auto-executes that proposal), and around its forward:

- ``claim_execution`` (or ``propose(..., claim=...)``, in the write that creates an
  allowed proposal) consumes the single-use authorization exactly as the executor
  does (``authorization.consume``: same action hash, same bundle, not expired, not
  used) and records ``execution.started``, with the gateway as the connector. A second
  claim (a replayed call, a second gateway) is refused, so the tool is called once;
- ``report_execution`` (or ``complete_step(..., execution=...)``, in the write that
  records the tool's answer as the step's output) records ``execution.finished``,
  whose detail references the step holding the result, never the result.

Whichever path consumes the authorization first runs the action; the other is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select

from affidavit import canonical
from affidavit.clock import Clock
from affidavit.errors import Conflict, InputError, NotFound
from affidavit.governance import _tables as t
from affidavit.governance import authorization, lifecycle
from affidavit.governance import proposals as p
from affidavit.governance.events import ExecutionFinished
from affidavit.governance.identities import Identity
from affidavit.governance.policies import PolicyStore
from affidavit.ledger.batch import Batch
from affidavit.ledger.log import Ledger

__all__ = [
    "CALLER",
    "FINISHED",
    "MAX_DETAIL_BYTES",
    "CallerExecutions",
    "check_report",
    "claim_at_once",
    "finish_reported",
]

CALLER = "caller"
FINISHED = ("succeeded", "failed")
MAX_DETAIL_BYTES = 4096
T = TypeVar("T")


def claim_at_once(
    batch: Batch, proposal: p.Proposal, actor: str, connector: str, now: datetime
) -> str:
    """Claim a proposal the policy just allowed, in the write that created it (one
    durable write less for a gateway's allowed call); the execution id."""
    return authorization.consume(
        batch,
        proposal,
        action=proposal.action,
        target=proposal.target,
        params=proposal.params,
        active_bundle_hash=proposal.bundle_hash,  # decided on the active bundle, just now
        connector=_connector_name(connector),
        now=now,
        actor=actor,
        redrive=False,
    )


def _connector_name(connector: str) -> str:
    if not isinstance(connector, str) or not 0 < len(connector) <= 64:
        raise InputError("the connector name is 1 to 64 characters, e.g. gateway:soc-tools")
    return connector


def _own_caller_proposal(proposal: p.Proposal, caller: Identity) -> None:
    if proposal.proposer_id != caller.id:
        raise NotFound(f"no proposal {proposal.id}")  # others' proposals do not exist for it
    if proposal.executor != CALLER:
        raise Conflict(
            f"proposal {proposal.id} is executed by Affidavit's executor, not by its "
            "proposer; propose with executor=caller to execute it yourself"
        )


def check_report(
    execution_id: str, status: str, detail: Mapping[str, Any] | None, external_ref: str | None
) -> dict[str, Any]:
    """The checks of a reported end, before any write; the detail as a dict."""
    if not isinstance(execution_id, str) or not 0 < len(execution_id) <= 64:
        raise InputError("an execution id is a short string such as auth_...")
    if status not in FINISHED:
        raise InputError(f"an execution ends {' or '.join(FINISHED)}, not {status!r}")
    checked = dict(detail or {})
    if len(canonical.encode(checked)) > MAX_DETAIL_BYTES:
        raise InputError(f"an execution's detail is at most {MAX_DETAIL_BYTES} bytes of JSON")
    if external_ref is not None and not 0 < len(external_ref) <= 200:
        raise InputError("an external reference is 1 to 200 characters")
    return checked


def finish_reported(
    batch: Batch,
    caller: Identity,
    execution_id: str,
    status: str,
    detail: Mapping[str, Any],
    external_ref: str | None,
    now: datetime,
) -> tuple[str, str]:
    """In a write: the caller's own running execution ends; (proposal id, its status)."""
    row = batch.conn.execute(select(t.executions).where(t.executions.c.id == execution_id)).first()
    if row is None:
        raise NotFound(f"no execution {execution_id}")
    proposal = p.load(batch.conn, row.proposal_id, now)
    _own_caller_proposal(proposal, caller)
    if row.status != "running":
        raise Conflict(f"execution {execution_id} already ended: {row.status}")
    batch.emit(
        ExecutionFinished(
            actor=caller.actor,
            case=proposal.case_id,
            proposal=proposal.id,
            execution=execution_id,
            status=status,
            detail=dict(detail),
            external_ref=external_ref,
        )
    )
    return proposal.id, lifecycle.target(ExecutionFinished, status)


class CallerExecutions:
    """Governor operations (mixed into the Governor)."""

    ledger: Ledger
    clock: Clock
    policies: PolicyStore

    if TYPE_CHECKING:  # the Governor's

        def authenticate(self, token: str | None) -> Identity: ...

        def _write(self, command: Callable[[Batch], T], *, now: datetime) -> T: ...

    def claim_execution(self, token: str | None, proposal_id: str, *, connector: str) -> str:
        """Consume the authorization of the caller's own ``executor=caller`` proposal
        before the caller acts; the execution id (the authorization id). Refused when it
        was already used (the same call replayed), expired, or the policy changed."""
        caller = self.authenticate(token)
        connector = _connector_name(connector)
        now = self.clock()
        with self.ledger.db.read() as conn:
            proposal = p.load(conn, proposal_id, now)
            _own_caller_proposal(proposal, caller)
            bundle_hash = self.policies.engine(conn, fresh=True).bundle.hash

        def command(batch: Batch) -> str:
            return authorization.consume(
                batch,
                proposal,
                action=proposal.action,
                target=proposal.target,
                params=proposal.params,
                active_bundle_hash=bundle_hash,
                connector=connector,
                now=now,
                actor=caller.actor,
                redrive=False,
            )

        return self._write(command, now=now)

    def report_execution(
        self,
        token: str | None,
        execution_id: str,
        *,
        status: str,
        detail: Mapping[str, Any] | None = None,
        external_ref: str | None = None,
    ) -> tuple[str, str]:
        """Record how the caller's claimed execution ended (``succeeded`` or ``failed``);
        the proposal id and its new status. ``detail`` is plaintext in the ledger: references
        and hashes, never tool output."""
        caller = self.authenticate(token)
        detail = check_report(execution_id, status, detail, external_ref)
        now = self.clock()

        def command(batch: Batch) -> tuple[str, str]:
            return finish_reported(batch, caller, execution_id, status, detail, external_ref, now)

        return self._write(command, now=now)
