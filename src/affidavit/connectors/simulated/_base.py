"""What every simulated connector shares: dispatch, target checks and the execution record."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from sqlalchemy import Connection, CursorResult

from affidavit.connectors import _executions
from affidavit.connectors.request import ActionRequest, ActionResult
from affidavit.errors import InputError
from affidavit.store.engine import Database

__all__ = ["Handler", "SimulatedConnector", "new_row_id", "succeeded"]

Handler = Callable[[Connection, ActionRequest, float], ActionResult]


class SimulatedConnector:
    """A connector whose "remote system" is a set of tables in Affidavit's database.

    Subclasses set ``name`` and fill ``self._actions`` with
    ``action id -> (target kinds, handler)``. A handler runs inside the
    transaction that claims the execution id, so the state change and the
    execution record commit together, exactly once.
    """

    name: str = ""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        self._actions: dict[str, tuple[frozenset[str], Handler]] = {}

    def _register(self, action: str, kinds: Collection[str], handler: Handler) -> None:
        self._actions[action] = (frozenset(kinds), handler)

    @property
    def actions(self) -> frozenset[str]:
        """The catalog actions this connector runs."""
        return frozenset(self._actions)

    def target_kinds(self, action: str) -> frozenset[str]:
        return self._actions[action][0]

    def execute(self, request: ActionRequest) -> ActionResult:
        if not isinstance(request, ActionRequest):
            raise InputError(f"execute takes an ActionRequest, not {type(request).__name__}.")
        entry = self._actions.get(request.action)
        if entry is None:
            raise InputError(
                f"connector {self.name} cannot run action {request.action}; "
                f"it runs {', '.join(sorted(self._actions))}."
            )
        kinds, handler = entry
        if request.target_kind not in kinds:
            raise InputError(
                f"action {request.action} applies to {', '.join(sorted(kinds))} targets, "
                f"not {request.target_kind}."
            )

        def apply(conn: Connection, now: float) -> ActionResult:
            return handler(conn, request, now)

        return _executions.run_once(self._db, self.name, request, apply, self._clock())


def succeeded(detail: Mapping[str, Any], external_ref: str | None = None) -> ActionResult:
    """A success; ``simulated: true`` tells every reader that nothing real was touched."""
    return ActionResult("succeeded", {**detail, "simulated": True}, external_ref)


def new_row_id(inserted: CursorResult[Any]) -> int:
    """The autoincrement id of the row an INSERT just created."""
    key = inserted.inserted_primary_key
    assert key is not None
    return int(key[0])
