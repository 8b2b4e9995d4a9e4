"""Legal holds: a held case's evidence is neither erased nor swept until released.

``affidavit case hold CASE --reason`` and ``case release`` are administrative acts
(ledgered as ``case.held`` / ``case.released`` with their operator); the projector
keeps one ``case_holds`` row per held case. Every erasure checks the holds inside
its own write, so a hold placed a moment before cannot be raced: erasure by request
is refused naming the case, and the retention sweep leaves the case's payloads alone.
A payload is held when any entry carrying it belongs to a held case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Connection, select

from affidavit.errors import Conflict, NotFound
from affidavit.governance import _accountability_tables as at
from affidavit.governance import _tables as t
from affidavit.governance._common import check_case_id, check_text
from affidavit.governance.events import CaseHeld, CaseReleased
from affidavit.ledger.batch import Batch
from affidavit.ledger.erasure import Erasure, erasure_command
from affidavit.store.schema import ledger_entries, ledger_payloads

__all__ = [
    "guarded_erasure",
    "held_cases_of",
    "hold",
    "holds",
    "release",
    "sweep_erasure",
]

_CHUNK = 500


def hold(batch: Batch, case: str, reason: str, *, actor: str) -> None:
    check_case_id(case)
    reason = check_text(reason, "a reason", required=True)
    if batch.conn.execute(select(t.cases.c.id).where(t.cases.c.id == case)).first() is None:
        raise NotFound(f"no case {case}")
    h = at.case_holds
    held = batch.conn.execute(select(h.c.held_by).where(h.c.case_id == case)).first()
    if held is not None:
        raise Conflict(f"case {case} is already on legal hold (by {held[0]})")
    batch.emit(CaseHeld(actor=actor, case=case, reason=reason))


def release(batch: Batch, case: str, reason: str, *, actor: str) -> None:
    check_case_id(case)
    reason = check_text(reason, "a reason", required=True)
    h = at.case_holds
    if batch.conn.execute(select(h.c.case_id).where(h.c.case_id == case)).first() is None:
        raise Conflict(f"case {case} is not on legal hold")
    batch.emit(CaseReleased(actor=actor, case=case, reason=reason))


def holds(conn: Connection) -> list[dict[str, object]]:
    h = at.case_holds
    rows = conn.execute(select(h).order_by(h.c.held_seq))
    return [
        {"case": r.case_id, "reason": r.reason, "held_by": r.held_by, "held_seq": r.held_seq}
        for r in rows
    ]


def held_cases_of(conn: Connection, refs: Sequence[str]) -> dict[str, str]:
    """{sha256: held case} for the live payloads in ``refs`` that a held case carries."""
    e, p, h = ledger_entries, ledger_payloads, at.case_holds
    found: dict[str, str] = {}
    for i in range(0, len(refs), _CHUNK):
        q = (
            select(p.c.sha256, h.c.case_id)
            .join(e, e.c.seq == p.c.seq)
            .join(h, h.c.case_id == e.c.case_id)
            .where(p.c.sha256.in_(list(refs[i : i + _CHUNK])), p.c.erased_seq.is_(None))
        )
        found.update({str(sha): str(case) for sha, case in conn.execute(q)})
    return found


def guarded_erasure(
    refs: Sequence[str], *, actor: str, rule: str, reason: str
) -> Callable[[Batch], Erasure]:
    """The ledger's erasure command, refused inside the write when a held case carries
    any of the payloads."""
    inner = erasure_command(refs, actor=actor, rule=rule, reason=reason)

    def command(batch: Batch) -> Erasure:
        held = held_cases_of(batch.conn, refs)
        if held:
            case = sorted(held.values())[0]
            raise Conflict(
                f"case {case} is on legal hold: its evidence cannot be erased until released "
                f"(affidavit case release {case} --reason ...)"
            )
        return inner(batch)

    return command


def sweep_erasure(
    refs: Sequence[str], *, actor: str, rule: str, reason: str
) -> Callable[[Batch], Erasure | None]:
    """The retention sweep's erasure: payloads of held cases are left out (checked inside
    the write); None when nothing is left to erase."""

    def command(batch: Batch) -> Erasure | None:
        held = held_cases_of(batch.conn, refs)
        left = [r for r in refs if r not in held]
        if not left:
            return None
        return erasure_command(left, actor=actor, rule=rule, reason=reason)(batch)

    return command
