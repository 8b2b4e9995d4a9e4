"""Incidents: what must be investigated, opened by the ledger (``incident.opened``).

Today one thing opens an incident: a break-glass whose review rejected it (the
emergency authority was used without cause). The reviewer's entry and the incident
are one write; the notifier tells the proposal's approvers and their escalation group.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from affidavit.governance import _accountability_tables as at

__all__ = ["list_incidents"]


def list_incidents(conn: Connection, case: str | None = None) -> list[dict[str, Any]]:
    i = at.incidents
    q = select(i).order_by(i.c.opened_seq)
    if case is not None:
        q = q.where(i.c.case_id == case)
    return [
        {
            "id": r.id,
            "case": r.case_id,
            "proposal": r.proposal_id,
            "reason": r.reason,
            "opened_by": r.opened_by,
            "opened_seq": r.opened_seq,
            "cause_seq": r.cause_seq,
        }
        for r in conn.execute(q)
    ]
