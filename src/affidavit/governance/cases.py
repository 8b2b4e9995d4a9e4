"""Cases: opened on first use of their id, by whoever first records something in them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from affidavit.governance import _tables as t
from affidavit.governance._common import check_case_id
from affidavit.governance.events import CaseOpened
from affidavit.ledger.batch import Batch
from affidavit.store.schema import ledger_entries

__all__ = ["ensure_case", "list_cases"]


def ensure_case(batch: Batch, case_id: str, actor: str) -> None:
    check_case_id(case_id)
    exists = batch.conn.execute(select(t.cases.c.id).where(t.cases.c.id == case_id)).first()
    if not exists:
        batch.emit(CaseOpened(actor=actor, case=case_id))


def list_cases(conn: Connection) -> list[dict[str, Any]]:
    counts: dict[str, int] = dict(
        conn.execute(
            select(ledger_entries.c.case_id, func.count())
            .where(ledger_entries.c.case_id.is_not(None))
            .group_by(ledger_entries.c.case_id)
        ).all()
    )
    rows = conn.execute(select(t.cases).order_by(t.cases.c.opened_seq))
    return [
        {
            "id": r.id,
            "opened_at": r.opened_at,
            "opened_by": r.opened_by,
            "entries": int(counts.get(r.id, 0)),
        }
        for r in rows
    ]
