"""Erasure on request, under two rules: legal holds, and a second person for serious cases.

Evidence of a case where an action of tier 3 or above was proposed (containment
with user impact, destruction) is not erased on one person's word: one operator
records an ``erasure.requested`` entry, and another admin, named by their token,
approves it (``erasure.approved``, followed in the same write by the
``payload.erased`` entry). The approver cannot be the requester, and cannot be an
unnamed local account: the second person must be an identity the ledger knows.
Any other erasure is one person's act. Every erasure is refused while a case
carrying the payloads is on legal hold (governance.holds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from affidavit.errors import Conflict, InputError, NotFound, PolicyError
from affidavit.governance import _accountability_tables as at
from affidavit.governance import _tables as t
from affidavit.governance._common import from_json
from affidavit.governance.events import ErasureApproved, ErasureRequested
from affidavit.governance.holds import guarded_erasure
from affidavit.governance.operators import LOCAL_PREFIX
from affidavit.ledger.batch import Batch
from affidavit.ledger.erasure import Erasure
from affidavit.policy import Catalog
from affidavit.store.schema import ledger_entries, ledger_payloads

__all__ = [
    "SECOND_PERSON_TIER",
    "ErasureRequest",
    "approve",
    "case_payloads",
    "erase",
    "load",
    "payload_cases",
    "pending",
    "request",
    "serious_cases",
]

SECOND_PERSON_TIER = 3
"""Erasing evidence of a case with a proposed action of this tier or above needs two people."""
MAX_REQUESTED_PAYLOADS = 500  # an entry is at most 64 KiB; whole cases are named, not listed


@dataclass(frozen=True)
class ErasureRequest:
    id: str
    cases: tuple[str, ...]
    payloads: tuple[str, ...]
    reason: str
    requested_by: str
    approved_by: str | None


def payload_cases(conn: Connection, refs: Sequence[str]) -> set[str]:
    """The cases whose entries carry any of these live payloads."""
    e, p = ledger_entries, ledger_payloads
    q = (
        select(e.c.case_id)
        .join(p, p.c.seq == e.c.seq)
        .where(p.c.sha256.in_(list(refs)), e.c.case_id.is_not(None))
        .distinct()
    )
    return {str(c) for (c,) in conn.execute(q)}


def case_payloads(conn: Connection, case: str) -> list[str]:
    """SHA-256 of every live payload of ``case``, each once."""
    e, p = ledger_entries, ledger_payloads
    q = (
        select(p.c.sha256)
        .join(e, e.c.seq == p.c.seq)
        .where(e.c.case_id == case, p.c.erased_seq.is_(None))
    )
    return list(dict.fromkeys(str(sha) for (sha,) in conn.execute(q)))


def serious_cases(conn: Connection, catalog: Catalog, cases: set[str]) -> list[str]:
    """The cases among ``cases`` with a proposed action of tier >= SECOND_PERSON_TIER."""
    if not cases:
        return []
    serious = {a.id for a in catalog if a.tier >= SECOND_PERSON_TIER}
    rows = conn.execute(
        select(t.proposals.c.case_id, t.proposals.c.action)
        .where(t.proposals.c.case_id.in_(sorted(cases)))
        .distinct()
    )
    return sorted({case for case, action in rows if action in serious})


def erase(
    batch: Batch,
    catalog: Catalog,
    *,
    refs: Sequence[str],
    case: str | None,
    actor: str,
    reason: str,
) -> Erasure:
    """One person's erasure: refused when a second person is needed or a case is held."""
    cases = {case} if case is not None else payload_cases(batch.conn, refs)
    serious = serious_cases(batch.conn, catalog, cases)
    if serious:
        what = f"--case {case}" if case is not None else "--sha256 ..."
        raise PolicyError(
            f"case {serious[0]} had an action of tier {SECOND_PERSON_TIER} or above proposed: "
            f"erasing its evidence needs a second admin "
            f"(affidavit payload request-erasure {what} --reason ..., then another admin "
            "runs affidavit payload approve-erasure REQUEST --token ...)"
        )
    if case is not None:
        refs = case_payloads(batch.conn, case)
        if not refs:
            raise NotFound(f"case {case} has no payloads left to erase")
    return guarded_erasure(refs, actor=actor, rule="request", reason=reason)(batch)


def request(
    batch: Batch,
    *,
    request_id: str,
    refs: Sequence[str],
    case: str | None,
    actor: str,
    reason: str,
) -> ErasureRequest:
    if len(refs) > MAX_REQUESTED_PAYLOADS:
        raise InputError(f"request the erasure of at most {MAX_REQUESTED_PAYLOADS} payloads")
    cases = {case} if case is not None else payload_cases(batch.conn, refs)
    if case is not None and not case_payloads(batch.conn, case):
        raise NotFound(f"case {case} has no payloads left to erase")
    if case is None and not cases:
        raise NotFound("no live payload of a case has any of those SHA-256 hashes")
    event = ErasureRequested(
        actor=actor,
        request=request_id,
        payloads_sha256=tuple(refs),
        cases=tuple(sorted(cases)),
        reason=reason,
    )
    batch.emit(event)
    return ErasureRequest(request_id, event.cases, event.payloads_sha256, reason, actor, None)


def load(conn: Connection, request_id: str) -> ErasureRequest:
    r = at.erasure_requests
    row = conn.execute(select(r).where(r.c.id == request_id)).first()
    if row is None:
        raise NotFound(f"no erasure request {request_id!r}")
    return ErasureRequest(
        id=row.id,
        cases=tuple(from_json(row.cases)),
        payloads=tuple(from_json(row.payloads)),
        reason=row.reason,
        requested_by=row.requested_by,
        approved_by=row.approved_by,
    )


def approve(batch: Batch, request_id: str, *, actor: str) -> Erasure:
    """A second admin approves: ledgered, then the payloads are erased in the same write."""
    found = load(batch.conn, request_id)
    if found.approved_by is not None:
        raise Conflict(f"erasure request {request_id} was already approved by {found.approved_by}")
    if actor.startswith(LOCAL_PREFIX):
        raise PolicyError(
            "approving an erasure needs a named admin: give your admin token (--token)"
        )
    if actor == found.requested_by:
        raise PolicyError(
            f"{actor} requested erasure {request_id}; a second person must approve it"
        )
    refs = list(found.payloads)
    if not refs:
        refs = [sha for case in found.cases for sha in case_payloads(batch.conn, case)]
        refs = list(dict.fromkeys(refs))
    if not refs:
        raise NotFound(f"the payloads of erasure request {request_id} are already erased")
    batch.emit(ErasureApproved(actor=actor, request=request_id))
    reason = f"erasure request {request_id}: {found.reason}"[:4000]
    return guarded_erasure(refs, actor=actor, rule="request", reason=reason)(batch)


def pending(conn: Connection) -> list[dict[str, object]]:
    r = at.erasure_requests
    rows = conn.execute(select(r).where(r.c.approved_seq.is_(None)).order_by(r.c.requested_seq))
    return [
        {
            "id": row.id,
            "cases": from_json(row.cases),
            "payloads": len(from_json(row.payloads)),
            "reason": row.reason,
            "requested_by": row.requested_by,
            "requested_seq": row.requested_seq,
        }
        for row in rows
    ]
