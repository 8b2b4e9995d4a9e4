"""Erasure: crypto-shredding payloads inside a group commit, ledgered as ``payload.erased``.

The erasure entry lists every payload it shreds (entry, position, SHA-256), the
rule and the reason; the payload rows keep their SHA-256 and point at that
entry, so every proof over the entries stays valid and ``verify`` can tell a
deliberate erasure from tampering.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update

from affidavit.errors import InputError, NotFound
from affidavit.ledger.batch import Batch
from affidavit.ledger.events import PayloadErased
from affidavit.store.schema import ledger_payloads

__all__ = ["MAX_ERASED_AT_ONCE", "Erasure", "erasure_command"]

MAX_ERASED_AT_ONCE = 10_000


@dataclass(frozen=True)
class Erasure:
    """The ``payload.erased`` entry and how many payloads it shredded."""

    seq: int
    payloads: int


def erasure_command(
    sha256_refs: Sequence[str], *, actor: str, rule: str, reason: str
) -> Callable[[Batch], Erasure]:
    """A ledger command (see ``Ledger.execute``) that shreds the live payloads with these hashes."""
    refs = list(dict.fromkeys(sha256_refs))
    if not refs or len(refs) > MAX_ERASED_AT_ONCE:
        raise InputError("erase between 1 and 10,000 payloads at a time")
    t = ledger_payloads

    def command(batch: Batch) -> Erasure:
        rows = batch.conn.execute(
            select(t.c.seq, t.c.ordinal, t.c.sha256)
            .where(t.c.sha256.in_(refs), t.c.erased_seq.is_(None))
            .order_by(t.c.seq, t.c.ordinal)
        ).all()
        if not rows:
            raise NotFound("no live payload has any of those SHA-256 hashes")
        appended = batch.emit(
            PayloadErased(
                actor=actor,
                erased=tuple((r.seq, r.ordinal, r.sha256) for r in rows),
                rule=rule,
                reason=reason,
            )
        )
        for r in rows:
            batch.conn.execute(
                update(t)
                .where(t.c.seq == r.seq, t.c.ordinal == r.ordinal)
                .values(data=b"", wrapped_key=None, kek_id=None, erased_seq=appended.seq)
            )
        return Erasure(appended.seq, len(rows))

    return command
