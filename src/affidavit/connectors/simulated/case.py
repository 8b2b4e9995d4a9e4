"""A simulated case system: notes appended to a case timeline (``sim_case_notes``)."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, insert

from affidavit.connectors._checks import optional_text, utc_iso
from affidavit.connectors._tables import sim_case_notes
from affidavit.connectors.base import ConnectorContext
from affidavit.connectors.request import ActionRequest, ActionResult
from affidavit.connectors.simulated._base import SimulatedConnector, new_row_id, succeeded
from affidavit.connectors.simulated._values import object_id
from affidavit.store.engine import Database

__all__ = ["SimulatedCase", "create"]

_MAX_NOTE = 20_000


class SimulatedCase(SimulatedConnector):
    name = "case"

    def __init__(self, db: Database, **kwargs: Any) -> None:
        super().__init__(db, **kwargs)
        self._register("add_case_note", ["case"], self._add_case_note)

    def _add_case_note(self, conn: Connection, request: ActionRequest, now: float) -> ActionResult:
        case = object_id(request.target_id, "case id")
        text = optional_text(request.params, "text", max_len=_MAX_NOTE)
        if not text:
            # add_case_note takes no required parameter; the note still says who wrote it.
            text = f"Note recorded by execution {request.execution_id}."
        inserted = conn.execute(
            insert(sim_case_notes).values(
                execution_id=request.execution_id,
                case_id=case,
                text=text,
                created_at=utc_iso(now),
            )
        )
        note_id = f"note-{new_row_id(inserted)}"
        # The result keeps the note's size and hash, not the text: results stay small.
        return succeeded(
            {
                "case": case,
                "note": note_id,
                "text_chars": len(text),
                "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
            },
            external_ref=note_id,
        )


def create(context: ConnectorContext) -> SimulatedCase:
    """Entry-point factory."""
    return SimulatedCase(context.db)
