"""Vendor connectors behind the Governor: the shipped catalogs route actions to them, the
executor ledgers their results, and a planted credential never reaches the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from affidavit.config import Settings
from affidavit.connectors import ConnectorContext, load_connectors
from affidavit.connectors.vendors import VENDOR_CONNECTORS, catalog_path, catalog_section
from affidavit.errors import InputError
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from affidavit.ledger.log import Ledger
from affidavit.policy import Catalog
from tests.connectors.vendors._fake import status
from tests.connectors.vendors.test_thehive import API_KEY, CASE, TheHiveFake


@pytest.mark.parametrize("connector", VENDOR_CONNECTORS, ids=lambda c: c.name)
def test_each_shipped_catalog_routes_only_to_actions_its_connector_runs(
    connector: type, db: object
) -> None:
    catalog = Catalog.load(catalog_path(connector.name))
    routed = [a for a in catalog if a.connector == connector.name]
    built = connector(None, db)
    assert {a.id for a in routed} == built.actions
    for action in routed:
        assert set(action.target_kinds) <= built.target_kinds(action.id), action.id


def test_an_unknown_catalog_name() -> None:
    with pytest.raises(InputError, match="vendor connectors are"):
        catalog_path("splunk")


@pytest.fixture
def hive() -> Iterator[TheHiveFake]:
    fake = TheHiveFake()
    fake.start()
    yield fake
    fake.stop()


def test_a_note_runs_through_thehive_and_its_key_never_reaches_the_ledger(
    ledger: Ledger, settings: Settings, hive: TheHiveFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIVE_KEY", API_KEY)
    config = {
        "thehive": {
            "url": hive.url,
            "api_key_env": "HIVE_KEY",
            "organisation": "SOC",
            "max_attempts": 1,
        }
    }
    connectors = load_connectors(ConnectorContext(ledger.db, config))
    gov = Governor(
        ledger,
        settings,
        connectors=connectors,
        clock=lambda: datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
    )
    gov.publish_configuration(catalog_section("thehive"))
    gov.add_identity(Identity(id="olivia", kind="human", roles=("approver:ir_lead",)))
    _, token = gov.add_identity(
        Identity(
            id="triage", kind="agent", owner="olivia", scopes=("add_case_note", "create_case_task")
        )
    )
    done = gov.propose(
        token,
        case="CASE-7",
        action="add_case_note",
        target=f"case:{CASE}",
        params={"text": "Phishing mails purged from 42 mailboxes."},
    )
    assert done.status == "executed"
    assert len(hive.comments) == 1
    # A broken TheHive that echoes the key it was sent: the failure is ledgered, the key is not.
    hive.fault("POST", "/api/v1/query", status(500, {"type": "Boom", "message": f"key={API_KEY}"}))
    failed = gov.propose(
        token,
        case="CASE-7",
        action="create_case_task",
        target=f"case:{CASE}",
        params={"title": "Check forwarding rules"},
    )
    assert failed.status == "failed"
    entries = list(ledger.entries())
    finished = [e for e in entries if e.type == "execution.finished"]
    assert [e.body["status"] for e in finished] == ["succeeded", "failed"]
    assert "TheHive answered HTTP 500" in finished[1].body["detail"]["error"]
    for entry in entries:
        assert API_KEY.encode() not in entry.data
    assert ledger.verify().size == len(entries)


def test_the_catalog_section_for_the_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    from affidavit.connectors.vendors.__main__ import main
    from affidavit.governance.configuration import Configuration

    assert main(["defender", "okta"]) == 0
    section = capsys.readouterr().out
    catalog = Configuration.parse(section).catalog
    assert catalog.get("release_host").connector == "defender"
    assert catalog.get("disable_account").connector == "okta"
    assert main(["splunk"]) == 2
    assert "vendor connectors are" in capsys.readouterr().err
    assert main([]) == 2
