"""Finding connectors: built-ins by name, plugins through real entry points on sys.path."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from affidavit.connectors import (
    BUILTIN_CONNECTORS,
    ENTRY_POINT_GROUP,
    Connector,
    ConnectorContext,
    InMemoryConnector,
    SimulatedEDR,
    WebhookConnector,
    available_connectors,
    load_connectors,
)
from affidavit.errors import ConfigError
from affidavit.store import Database

BUILTIN_NAMES = {
    *("webhook", "edr", "idp", "firewall", "email", "intel", "case", "ticketing"),
    *("defender", "falcon", "okta", "thehive", "jira", "servicenow"),
}


class Plugins:
    """Installs throwaway distributions (dist-info + module) on sys.path for one test."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.monkeypatch = monkeypatch

    def install(self, entries: dict[str, str], source: str = "") -> str:
        """Install a distribution whose entry points are ``entries``; returns its module name.

        ``{module}`` in an entry's value is replaced by the new module's name.
        """
        token = uuid.uuid4().hex[:10]
        module, dist = f"plugin_{token}", f"affidavit_plugin_{token}"
        site = self.root / token
        info = site / f"{dist}-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        lines = [f"{name} = {value.format(module=module)}" for name, value in entries.items()]
        (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n" + "\n".join(lines) + "\n")
        (site / f"{module}.py").write_text(source)
        self.monkeypatch.syspath_prepend(str(site))
        return module


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Plugins:
    return Plugins(tmp_path / "plugins", monkeypatch)


_SIEM_PLUGIN = """
from affidavit.connectors import InMemoryConnector

def create(context):
    return InMemoryConnector("siem", actions={"forward_case"})

def create_edr(context):
    return InMemoryConnector("edr")

def misnamed(context):
    return InMemoryConnector("firewall")

def not_a_connector(context):
    return object()

def broken(context):
    raise RuntimeError("vendor SDK missing")

NOT_CALLABLE = 42
"""


def test_all_built_ins_load_by_name(db: Database) -> None:
    assert {b.name for b in BUILTIN_CONNECTORS} == BUILTIN_NAMES
    connectors = load_connectors(ConnectorContext(db))
    assert set(connectors) >= BUILTIN_NAMES
    for name in BUILTIN_NAMES:
        assert isinstance(connectors[name], Connector)
        assert connectors[name].name == name
    assert isinstance(connectors["webhook"], WebhookConnector)
    assert isinstance(connectors["edr"], SimulatedEDR)


def test_a_plugin_adds_a_connector(db: Database, plugins: Plugins) -> None:
    plugins.install({"siem": "{module}:create"}, _SIEM_PLUGIN)
    connectors = load_connectors(ConnectorContext(db, {"siem": {"any": "setting"}}))
    assert BUILTIN_NAMES | {"siem"} <= set(connectors)
    assert isinstance(connectors["siem"], InMemoryConnector)


def test_a_built_in_registered_as_an_entry_point_is_not_a_duplicate(
    db: Database, plugins: Plugins
) -> None:
    # What an (editable) install of Affidavit itself looks like.
    plugins.install(
        {
            "edr": "affidavit.connectors.simulated.edr:create",
            "webhook": "affidavit.connectors.webhook:create",
        }
    )
    plugins.install({"edr": "affidavit.connectors.simulated.edr:create"})
    connectors = load_connectors(ConnectorContext(db))
    assert isinstance(connectors["edr"], SimulatedEDR)
    assert available_connectors()["edr"] is BUILTIN_CONNECTORS[1].factory


@pytest.mark.parametrize("installed_last", ["plugin", "affidavit"])
def test_a_plugin_replaces_a_simulated_built_in(
    db: Database, plugins: Plugins, installed_last: str
) -> None:
    # Installed last = first on sys.path: the result must not depend on that order.
    own = {"edr": "affidavit.connectors.simulated.edr:create"}
    replacement = {"edr": "{module}:create_edr"}
    if installed_last == "plugin":
        plugins.install(own)
        plugins.install(replacement, _SIEM_PLUGIN)
    else:
        plugins.install(replacement, _SIEM_PLUGIN)
        plugins.install(own)
    connectors = load_connectors(ConnectorContext(db))
    assert isinstance(connectors["edr"], InMemoryConnector)


def test_two_plugins_with_one_name_are_refused(db: Database, plugins: Plugins) -> None:
    plugins.install({"siem": "{module}:create"}, _SIEM_PLUGIN)
    plugins.install({"siem": "{module}:create"}, _SIEM_PLUGIN)
    with pytest.raises(ConfigError, match="two connector plugins are named siem"):
        load_connectors(ConnectorContext(db))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("siem", "{module}_missing:create", "cannot be loaded"),
        ("siem", "{module}:no_such_factory", "cannot be loaded"),
        ("siem", "{module}:NOT_CALLABLE", "not a factory"),
        ("siem", "{module}:broken", "vendor SDK missing"),
        ("siem", "{module}:not_a_connector", "no name and execute"),
        ("siem", "{module}:misnamed", "names must match"),
        ("Bad-Name", "{module}:create", "not a lowercase word"),
    ],
)
def test_bad_plugins_are_config_errors(
    db: Database, plugins: Plugins, name: str, value: str, message: str
) -> None:
    plugins.install({name: value}, _SIEM_PLUGIN)
    with pytest.raises(ConfigError, match=message):
        load_connectors(ConnectorContext(db))


def test_settings_for_an_unknown_connector_are_refused(db: Database) -> None:
    with pytest.raises(ConfigError, match="unknown connector 'edrr'"):
        load_connectors(ConnectorContext(db, {"edrr": {}}))
    with pytest.raises(ConfigError, match="takes none"):
        load_connectors(ConnectorContext(db, {"edr": {"api_key": "x"}}))
