"""The connector interface: one method, ``execute``, idempotent by execution id."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from affidavit.connectors.request import ActionRequest, ActionResult
from affidavit.store.engine import Database

__all__ = ["Connector", "ConnectorContext", "ConnectorFactory"]


@runtime_checkable
class Connector(Protocol):
    """Runs catalog actions against one system (an EDR, an IdP, a webhook receiver).

    ``execute`` must be idempotent by ``request.execution_id``: a repeated id
    returns the first result and never acts twice. A transport failure
    (timeout, refused connection, HTTP 5xx) is reported as
    ``ActionResult(status="failed", detail={"error": ...})``; a request the
    connector cannot serve (an action it does not implement, a target it cannot
    address) raises ``InputError``; missing settings raise ``ConfigError``.
    """

    name: str

    def execute(self, request: ActionRequest) -> ActionResult: ...


@dataclass(frozen=True)
class ConnectorContext:
    """What a connector factory gets: the database and every connector's settings."""

    db: Database
    config: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )

    def settings(self, name: str) -> Mapping[str, Any] | None:
        """The settings section for connector ``name``, or None when there is none."""
        return self.config.get(name)


ConnectorFactory = Callable[[ConnectorContext], Connector]
"""An entry point in the ``affidavit.connectors`` group: ``(ConnectorContext) -> Connector``."""
