"""Connectors for real SOC systems through their documented REST APIs.

``defender`` (Microsoft Defender for Endpoint) and ``falcon`` (CrowdStrike
Falcon) isolate and release hosts; ``okta`` suspends users and clears their
sessions; ``thehive`` adds notes and tasks to cases and updates them; ``jira``
and ``servicenow`` open tickets and comment on them. Each is idempotent by
execution id: it sends the id where the vendor keeps a correlation field and
reads the vendor's state before acting where it does not.

Each vendor ships a catalog extension (``catalog_path(name)``) that points the
catalog actions at it and adds the actions it brings (``release_host``,
``create_case_task``, ``update_case``, ``update_ticket``); ``catalog_section``
makes the ``catalog:`` section of a governance configuration from them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from affidavit.connectors.vendors._base import VendorConnector
from affidavit.connectors.vendors._settings import VendorSettings, VendorSpec
from affidavit.connectors.vendors.defender import DefenderConnector
from affidavit.connectors.vendors.falcon import FalconConnector
from affidavit.connectors.vendors.jira import JiraConnector
from affidavit.connectors.vendors.okta import OktaConnector
from affidavit.connectors.vendors.servicenow import ServiceNowConnector
from affidavit.connectors.vendors.thehive import TheHiveConnector
from affidavit.errors import InputError

__all__ = [
    "VENDOR_CONNECTORS",
    "DefenderConnector",
    "FalconConnector",
    "JiraConnector",
    "OktaConnector",
    "ServiceNowConnector",
    "TheHiveConnector",
    "VendorConnector",
    "VendorSettings",
    "VendorSpec",
    "catalog_path",
    "catalog_section",
]

VENDOR_CONNECTORS: tuple[type[VendorConnector], ...] = (
    DefenderConnector,
    FalconConnector,
    OktaConnector,
    TheHiveConnector,
    JiraConnector,
    ServiceNowConnector,
)


def catalog_section(*names: str) -> str:
    """The ``catalog:`` section of a governance configuration (docs/configuration.md) that
    routes actions to the vendor connectors ``names`` (later names win, as in a catalog)."""
    actions: dict[str, object] = {}
    for name in names:
        document = yaml.safe_load(catalog_path(name).read_text(encoding="utf-8"))
        for action in document["actions"]:
            actions[action["id"]] = action
    return yaml.safe_dump({"catalog": {"actions": list(actions.values())}}, sort_keys=False)


def catalog_path(name: str) -> Path:
    """The shipped catalog extension for vendor connector ``name``."""
    known = {c.name for c in VENDOR_CONNECTORS}
    if name not in known:
        raise InputError(
            f"no catalog for {name!r}; vendor connectors are {', '.join(sorted(known))}."
        )
    path = resources.files("affidavit.connectors.vendors").joinpath(f"catalogs/{name}.yaml")
    return Path(str(path))
