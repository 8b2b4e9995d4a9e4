"""A simulated ticketing system: tickets for follow-up, keyed ``SIM-<number>``."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, insert

from affidavit.connectors._checks import check_printable, optional_text, preview, utc_iso
from affidavit.connectors._tables import sim_tickets
from affidavit.connectors.base import ConnectorContext
from affidavit.connectors.request import ActionRequest, ActionResult
from affidavit.connectors.simulated._base import SimulatedConnector, new_row_id, succeeded
from affidavit.connectors.simulated._values import object_id
from affidavit.errors import InputError
from affidavit.store.engine import Database

__all__ = ["SimulatedTicketing", "create"]

_QUEUE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_PRIORITIES = ("low", "medium", "high", "urgent")
DEFAULT_QUEUE = "soc"
DEFAULT_PRIORITY = "medium"


class SimulatedTicketing(SimulatedConnector):
    name = "ticketing"

    def __init__(self, db: Database, **kwargs: Any) -> None:
        super().__init__(db, **kwargs)
        self._register("create_ticket", ["case", "host", "user"], self._create_ticket)

    def _create_ticket(self, conn: Connection, request: ActionRequest, now: float) -> ActionResult:
        target = object_id(request.target_id, f"{request.target_kind} id")
        if "summary" not in request.params:
            raise InputError("create_ticket needs the parameter summary.")
        summary = check_printable(request.params["summary"], "parameter summary", max_len=200)
        queue = optional_text(request.params, "queue", max_len=64) or DEFAULT_QUEUE
        if _QUEUE.fullmatch(queue) is None:
            raise InputError(f"parameter queue {preview(queue)} is not a queue name.")
        priority = request.params.get("priority", DEFAULT_PRIORITY)
        if priority not in _PRIORITIES:
            raise InputError(
                f"parameter priority must be one of {', '.join(_PRIORITIES)}, "
                f"not {preview(priority)}."
            )
        inserted = conn.execute(
            insert(sim_tickets).values(
                execution_id=request.execution_id,
                target_kind=request.target_kind,
                target_id=target,
                case_id=request.case,
                summary=summary,
                queue=queue,
                priority=priority,
                status="open",
                created_at=utc_iso(now),
            )
        )
        key = f"SIM-{new_row_id(inserted)}"
        return succeeded(
            {
                "ticket": key,
                "target": request.target,
                "queue": queue,
                "priority": priority,
                "status": "open",
            },
            external_ref=key,
        )


def create(context: ConnectorContext) -> SimulatedTicketing:
    """Entry-point factory."""
    return SimulatedTicketing(context.db)
