"""Finding connectors: the built-ins, plus plugins from the ``affidavit.connectors`` entry points.

A plugin is an entry point whose value is a factory ``(ConnectorContext) ->
Connector`` and whose name is the connector name the action catalog uses::

    [project.entry-points."affidavit.connectors"]
    edr = "acme_affidavit.edr:create"

The built-ins are listed here as well as registered as entry points, so they
are found even when Affidavit runs from a source tree without being
installed; an entry point that names a built-in's own factory is the same
connector, not a duplicate. A plugin with a built-in's name and another
factory replaces the built-in (that is how a real EDR replaces the simulated
one). Two plugins with one name, a plugin that cannot be imported, or a
factory that returns something else than the named connector are refused
with ConfigError: an ambiguous executor is not started.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from affidavit.connectors import webhook
from affidavit.connectors.base import Connector, ConnectorContext, ConnectorFactory
from affidavit.connectors.simulated import case, edr, email, firewall, idp, intel, ticketing
from affidavit.connectors.vendors import (
    VendorSettings,
    VendorSpec,
    defender,
    falcon,
    jira,
    okta,
    servicenow,
    thehive,
)
from affidavit.connectors.webhook_settings import WebhookSettings
from affidavit.errors import AffidavitError, ConfigError

__all__ = [
    "BUILTIN_CONNECTORS",
    "ENTRY_POINT_GROUP",
    "BuiltinConnector",
    "available_connectors",
    "check_connector_config",
    "load_connectors",
]

ENTRY_POINT_GROUP = "affidavit.connectors"
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


def _no_settings(name: str) -> Callable[[Mapping[str, Any]], None]:
    def check(section: Mapping[str, Any]) -> None:
        if section:
            keys = ", ".join(sorted(map(repr, map(str, section))))
            raise ConfigError(f"unknown {name} setting {keys}; the {name} connector takes none.")

    return check


def _check_webhook(section: Mapping[str, Any]) -> None:
    WebhookSettings.parse(section)


def _vendor(spec: VendorSpec) -> Callable[[Mapping[str, Any]], None]:
    def check(section: Mapping[str, Any]) -> None:
        VendorSettings.parse(spec, section)  # where the credentials live, not their values

    return check


@dataclass(frozen=True)
class BuiltinConnector:
    """A connector shipped with Affidavit and how its settings section is checked."""

    name: str
    factory: ConnectorFactory
    check_settings: Callable[[Mapping[str, Any]], None]


BUILTIN_CONNECTORS: tuple[BuiltinConnector, ...] = (
    BuiltinConnector("webhook", webhook.create, _check_webhook),
    BuiltinConnector("edr", edr.create, _no_settings("edr")),
    BuiltinConnector("idp", idp.create, _no_settings("idp")),
    BuiltinConnector("firewall", firewall.create, _no_settings("firewall")),
    BuiltinConnector("email", email.create, _no_settings("email")),
    BuiltinConnector("intel", intel.create, _no_settings("intel")),
    BuiltinConnector("case", case.create, _no_settings("case")),
    BuiltinConnector("ticketing", ticketing.create, _no_settings("ticketing")),
    BuiltinConnector("defender", defender.create, _vendor(defender.SPEC)),
    BuiltinConnector("falcon", falcon.create, _vendor(falcon.SPEC)),
    BuiltinConnector("okta", okta.create, _vendor(okta.SPEC)),
    BuiltinConnector("thehive", thehive.create, _vendor(thehive.SPEC)),
    BuiltinConnector("jira", jira.create, _vendor(jira.SPEC)),
    BuiltinConnector("servicenow", servicenow.create, _vendor(servicenow.SPEC)),
)
_BUILTINS = {b.name: b for b in BUILTIN_CONNECTORS}


def _plugins() -> list[tuple[str, str, Any]]:
    """(name, where it comes from, loaded object) for every entry point in the group."""
    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else "an unknown distribution"
        origin = f"{ep.value} from {dist}"
        if _NAME.fullmatch(ep.name) is None:
            raise ConfigError(
                f"connector plugin name {ep.name!r} ({origin}) is not a lowercase word; "
                "fix or uninstall that plugin."
            )
        try:
            loaded = ep.load()
        except Exception as exc:  # any import failure of foreign code is a setup problem
            raise ConfigError(
                f"connector plugin {ep.name} ({origin}) cannot be loaded: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if not callable(loaded):
            raise ConfigError(f"connector plugin {ep.name} ({origin}) is not a factory function.")
        found.append((ep.name, origin, loaded))
    return found


def available_connectors() -> dict[str, ConnectorFactory]:
    """Connector name -> factory: the built-ins merged with the entry-point plugins."""
    factories: dict[str, ConnectorFactory] = {b.name: b.factory for b in BUILTIN_CONNECTORS}
    plugin_origin: dict[str, str] = {}
    for name, origin, factory in _plugins():
        builtin = _BUILTINS.get(name)
        if builtin is not None and factory is builtin.factory:
            continue  # a built-in, found again through its own entry point
        if name in plugin_origin:
            if factory is factories[name]:
                continue
            raise ConfigError(
                f"two connector plugins are named {name}: {plugin_origin[name]} and {origin}; "
                "uninstall one of them."
            )
        plugin_origin[name] = origin
        factories[name] = factory
    return factories


def check_connector_config(
    config: object,
    names: Mapping[str, ConnectorFactory] | None = None,
    *,
    source: str = "connector settings",
) -> dict[str, dict[str, Any]]:
    """Check connector settings (name -> mapping) and return a plain copy; raise ConfigError."""
    factories = available_connectors() if names is None else names
    if not isinstance(config, Mapping):
        raise ConfigError(
            f"{source} must map connector names to their settings, "
            f"not be a {type(config).__name__}."
        )
    checked: dict[str, dict[str, Any]] = {}
    for name, section in config.items():
        if not isinstance(name, str) or name not in factories:
            raise ConfigError(
                f"{source} names an unknown connector {name!r}; "
                f"known connectors are {', '.join(sorted(factories))}."
            )
        if section is None:
            section = {}
        if not isinstance(section, Mapping) or not all(isinstance(k, str) for k in section):
            raise ConfigError(f"the {name} section of {source} must be a mapping of keys.")
        builtin = _BUILTINS.get(name)
        if builtin is not None and factories[name] is builtin.factory:
            try:
                builtin.check_settings(section)
            except ConfigError as exc:
                raise ConfigError(f"{source}: {exc.message}") from None
        checked[name] = dict(section)
    return checked


def load_connectors(context: ConnectorContext) -> dict[str, Connector]:
    """Build every available connector with ``context``; raise ConfigError on any doubt."""
    factories = available_connectors()
    check_connector_config(context.config, factories)
    connectors: dict[str, Connector] = {}
    for name, factory in factories.items():
        try:
            connector = factory(context)
        except AffidavitError:
            raise
        except Exception as exc:  # a plugin's factory is foreign code
            raise ConfigError(
                f"connector {name} could not be created: {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(connector, Connector):
            raise ConfigError(
                f"the factory for connector {name} returned {type(connector).__name__}, "
                "which has no name and execute method."
            )
        if connector.name != name:
            raise ConfigError(
                f"the factory registered as connector {name} built a connector named "
                f"{connector.name!r}; the names must match."
            )
        connectors[name] = connector
    return connectors
