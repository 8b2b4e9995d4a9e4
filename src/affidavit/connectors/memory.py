"""InMemoryConnector: the test double, a real connector that acts on nothing.

It keeps every request it ran, in order, and answers with the outcome set for
the action (succeeded by default). Like every connector it runs an execution
id at most once, also under concurrent calls. It is not registered as an
entry point: tests and SDK users construct it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping

from affidavit.connectors.request import ActionRequest, ActionResult
from affidavit.errors import Conflict, InputError

__all__ = ["InMemoryConnector", "Outcome"]

Outcome = ActionResult | Callable[[ActionRequest], ActionResult]
"""A fixed result, or a function computing one from the request."""


class InMemoryConnector:
    """Records requests in memory; ``outcomes`` maps an action id to its result."""

    def __init__(
        self,
        name: str = "memory",
        *,
        outcomes: Mapping[str, Outcome] | None = None,
        actions: Collection[str] | None = None,
    ) -> None:
        self.name = name
        self._outcomes: dict[str, Outcome] = dict(outcomes or {})
        self._actions = frozenset(actions) if actions is not None else None
        self._lock = threading.Lock()
        self._executed: list[ActionRequest] = []
        self._results: dict[str, tuple[ActionRequest, ActionResult]] = {}
        self._calls = 0

    def set_outcome(self, action: str, outcome: Outcome) -> None:
        """Answer later executions of ``action`` with ``outcome``."""
        with self._lock:
            self._outcomes[action] = outcome

    @property
    def executed(self) -> list[ActionRequest]:
        """Every request that was run, first runs only, in order."""
        with self._lock:
            return list(self._executed)

    @property
    def calls(self) -> int:
        """How many times ``execute`` was called, repeats included."""
        with self._lock:
            return self._calls

    def result_for(self, execution_id: str) -> ActionResult | None:
        with self._lock:
            found = self._results.get(execution_id)
            return found[1] if found else None

    def execute(self, request: ActionRequest) -> ActionResult:
        if not isinstance(request, ActionRequest):
            raise InputError(f"execute takes an ActionRequest, not {type(request).__name__}.")
        if self._actions is not None and request.action not in self._actions:
            raise InputError(
                f"connector {self.name} cannot run action {request.action}; "
                f"it runs {', '.join(sorted(self._actions)) or 'nothing'}."
            )
        # The lock is held while the outcome is computed, so a concurrent
        # repeat waits for the first run and then gets its result.
        with self._lock:
            self._calls += 1
            previous = self._results.get(request.execution_id)
            if previous is not None:
                first, result = previous
                if (first.action, first.action_hash) != (request.action, request.action_hash):
                    raise Conflict(
                        f"execution id {request.execution_id} was already used for "
                        f"{first.action}; an execution id is never reused for another action."
                    )
                return result
            result = self._outcome(request)
            self._executed.append(request)
            self._results[request.execution_id] = (request, result)
            return result

    def _outcome(self, request: ActionRequest) -> ActionResult:
        outcome = self._outcomes.get(request.action)
        if outcome is None:
            return ActionResult(
                "succeeded", {"action": request.action, "target": request.target, "simulated": True}
            )
        result = outcome if isinstance(outcome, ActionResult) else outcome(request)
        if not isinstance(result, ActionResult):
            raise InputError(
                f"the outcome set for {request.action} returned {type(result).__name__}, "
                "not an ActionResult."
            )
        return result
