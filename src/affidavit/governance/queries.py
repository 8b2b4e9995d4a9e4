"""The Governor's read side: proposals with everything done about them, cases, reviews.

Queries only; every method reads one snapshot. Mixed into
:class:`affidavit.governance.governor.Governor`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from affidavit.governance import _tables as t
from affidavit.governance import cases, executor
from affidavit.governance import proposals as p
from affidavit.governance._common import Clock, from_json, iso
from affidavit.ledger.log import Ledger

__all__ = ["GovernorQueries", "case_state", "proposal_details"]


class GovernorQueries:
    ledger: Ledger
    clock: Clock

    def breakglass_reviews(self, *, overdue_only: bool = False) -> list[dict[str, Any]]:
        now = iso(self.clock())
        r = t.breakglass_reviews
        with self.ledger.db.read() as conn:
            rows = conn.execute(select(r).order_by(r.c.seq)).all()
        found = [
            {
                "proposal": row.proposal_id,
                "invoked_by": row.invoked_by,
                "justification": row.justification,
                "due_at": row.due_at,
                "reviewed_by": row.reviewed_by,
                "outcome": row.outcome,
                "overdue": row.reviewed_by is None and row.due_at <= now,
            }
            for row in rows
        ]
        return [x for x in found if x["overdue"]] if overdue_only else found

    def proposal(self, proposal_id: str) -> p.Proposal:
        with self.ledger.db.read() as conn:
            return p.load(conn, proposal_id, self.clock())

    def proposal_details(self, proposal_id: str) -> dict[str, Any]:
        with self.ledger.db.read() as conn:
            return proposal_details(conn, proposal_id, self.clock())

    def proposals(self, *, status: str | None = None, case: str | None = None) -> list[p.Proposal]:
        with self.ledger.db.read() as conn:
            return p.list_proposals(conn, self.clock(), status=status, case=case)

    def cases(self) -> list[dict[str, Any]]:
        with self.ledger.db.read() as conn:
            return cases.list_cases(conn)

    def case_state(self, case: str) -> dict[str, dict[str, Any]]:
        """Per proposal of the case: its status and who did what (see :func:`case_state`)."""
        with self.ledger.db.read() as conn:
            return case_state(conn, case, self.clock())


def proposal_details(conn: Connection, proposal_id: str, now: datetime) -> dict[str, Any]:
    """A proposal with its approvals, executions, dispositions and break-glass review."""
    proposal = p.load(conn, proposal_id, now)
    a, d = t.approvals, t.dispositions
    found_approvals = [
        {"approver": r.approver_id, "verdict": r.verdict, "rationale": r.rationale}
        for r in conn.execute(select(a).where(a.c.proposal_id == proposal_id).order_by(a.c.seq))
    ]
    found_dispositions = [
        {
            "seq": r.seq,
            "actor": r.actor_id,
            "outcome": r.outcome,
            "reason": r.reason,
            "rationale": r.rationale,
            "override_with": r.override_proposal_id,
            "evidence_viewed": from_json(r.evidence_viewed),
            "supersedes": r.supersedes,
        }
        for r in conn.execute(select(d).where(d.c.proposal_id == proposal_id).order_by(d.c.seq))
    ]
    found_executions = executor.executions_of(conn, proposal_id)
    review = conn.execute(
        select(t.breakglass_reviews).where(t.breakglass_reviews.c.proposal_id == proposal_id)
    ).first()
    details = proposal.to_dict()
    details.update(
        approvals=found_approvals,
        executions=found_executions,
        dispositions=found_dispositions,
        breakglass=None
        if review is None
        else {
            "invoked_by": review.invoked_by,
            "justification": review.justification,
            "due_at": review.due_at,
            "reviewed_by": review.reviewed_by,
            "outcome": review.outcome,
        },
    )
    return details


def case_state(conn: Connection, case: str, now: datetime) -> dict[str, dict[str, Any]]:
    """Per proposal of ``case``: status, approvals, executions and dispositions, comparable
    between the live tables and a replay of the case's entries."""
    state: dict[str, dict[str, Any]] = {}
    for proposal in p.list_proposals(conn, now, case=case):
        d = proposal_details(conn, proposal.id, now)
        state[proposal.id] = {
            "status": d["status"],
            "approvals": sorted((a["approver"], a["verdict"]) for a in d["approvals"]),
            "executions": sorted((e["id"], e["status"]) for e in d["executions"]),
            "dispositions": [(x["actor"], x["outcome"], x["reason"]) for x in d["dispositions"]],
        }
    return state
