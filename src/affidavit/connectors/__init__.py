"""Connectors: the only code that acts on the outside world, and only for the executor.

The governance executor builds an :class:`ActionRequest` from a consumed
authorization and hands it to the connector the action catalog names;
the connector runs it at most once per ``execution_id`` and reports an
:class:`ActionResult`, which the executor ledgers.

Built-ins: ``webhook`` (signed HTTP POST to a configured receiver) and the
simulated ``edr``, ``idp``, ``firewall``, ``email``, ``intel``, ``case`` and
``ticketing`` connectors that keep their state in the database for the demo.
Plugins add or replace connectors through the ``affidavit.connectors`` entry
point group. :class:`InMemoryConnector` is the test double.
"""

from __future__ import annotations

from affidavit.connectors._checks import check_url
from affidavit.connectors._tables import CONNECTOR_TABLES, connector_executions
from affidavit.connectors.base import Connector, ConnectorContext, ConnectorFactory
from affidavit.connectors.config import load_connector_config
from affidavit.connectors.memory import InMemoryConnector, Outcome
from affidavit.connectors.registry import (
    BUILTIN_CONNECTORS,
    ENTRY_POINT_GROUP,
    BuiltinConnector,
    available_connectors,
    check_connector_config,
    load_connectors,
)
from affidavit.connectors.request import ActionRequest, ActionResult, ResultStatus
from affidavit.connectors.signing import sign_webhook, verify_webhook_signature
from affidavit.connectors.simulated import (
    SimulatedCase,
    SimulatedConnector,
    SimulatedEDR,
    SimulatedEmail,
    SimulatedFirewall,
    SimulatedIdP,
    SimulatedIntel,
    SimulatedTicketing,
)
from affidavit.connectors.webhook import WebhookConnector
from affidavit.connectors.webhook_settings import WebhookSettings

__all__ = [
    "BUILTIN_CONNECTORS",
    "CONNECTOR_TABLES",
    "ENTRY_POINT_GROUP",
    "ActionRequest",
    "ActionResult",
    "BuiltinConnector",
    "Connector",
    "ConnectorContext",
    "ConnectorFactory",
    "InMemoryConnector",
    "Outcome",
    "ResultStatus",
    "SimulatedCase",
    "SimulatedConnector",
    "SimulatedEDR",
    "SimulatedEmail",
    "SimulatedFirewall",
    "SimulatedIdP",
    "SimulatedIntel",
    "SimulatedTicketing",
    "WebhookConnector",
    "WebhookSettings",
    "available_connectors",
    "check_connector_config",
    "check_url",
    "connector_executions",
    "load_connector_config",
    "load_connectors",
    "sign_webhook",
    "verify_webhook_signature",
]
