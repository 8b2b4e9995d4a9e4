"""Nothing sensitive in plaintext at rest: planted secrets and personal data are searched
for in the raw bytes of every database file (main, WAL, shared memory) and in the logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from affidavit.config import Settings, load_settings
from affidavit.connectors import InMemoryConnector
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from affidavit.ledger.log import Ledger
from affidavit.samples.alerts import generate_alerts
from tests.conftest import Clock

# Planted by the sample alert generator (command lines, URLs, headers) ...
IN_ALERTS = [
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "P@ssw0rd!",
    "Winter2025!",
    "jane.roe@corp.example",
    "4111 1111 1111 1111",
]
# ... and by us, in what agents send to models and get back.
GITHUB_TOKEN = "ghp_" + "Z7q4LmN2pR8sT1vW3xY5zA6bC9dE0fG2hJ4k"
SSN = "536-22-8813"
PHONE = "+1 415 555 0132"
PERSONAL_EMAIL = "maria.gonzalez@example.org"
IN_STEPS = [GITHUB_TOKEN, SSN, PHONE, PERSONAL_EMAIL]


@pytest.fixture
def sqlite_settings(home: Path) -> Settings:
    """SQLite only, by design: the test reads the database files' raw bytes."""
    return load_settings({"AFFIDAVIT_HOME": str(home), "AFFIDAVIT_CHECKPOINT_INTERVAL": "0"})


def test_no_planted_value_in_database_files_or_logs(
    sqlite_settings: Settings, home: Path, caplog: pytest.LogCaptureFixture, clock: Clock
) -> None:
    caplog.set_level(logging.DEBUG)
    ledger = Ledger.open(sqlite_settings, clock=clock)
    gov = Governor(
        ledger, sqlite_settings, connectors={"intel": InMemoryConnector("intel")}, clock=clock
    )
    gov.add_identity(Identity(id="olivia", kind="human", roles=("analyst",)))
    _, agent = gov.add_identity(
        Identity(
            id="triage",
            kind="agent",
            owner="olivia",
            scopes=("enrich_ip_reputation",),
            data_classes=("internal_identifier",),
        )
    )
    alerts = generate_alerts(300, seed=5)
    text = "".join(str(a) for a in alerts)
    for value in IN_ALERTS:
        assert value in text, f"the generator no longer plants {value!r}"
    gov.ingest_objects(alerts, case="CASE-P", actor="system:test")
    prompt = (
        f"Summarise: git push used {GITHUB_TOKEN}; caller SSN {SSN}, phone {PHONE}, "
        f"mail {PERSONAL_EMAIL}"
    ).encode()
    output = f"The user {PERSONAL_EMAIL} ({PHONE}) leaked token {GITHUB_TOKEN}".encode()
    gov.record_step(
        agent, case="CASE-P", model="soc-llm", model_version="1", prompt=prompt, output=output
    )
    gov.propose(
        agent,
        case="CASE-P",
        action="enrich_ip_reputation",
        target="ip:203.0.113.9",
        rationale=f"seen with {PERSONAL_EMAIL} and {GITHUB_TOKEN}",
    )
    ledger.verify()
    ledger.close()

    files = [p for p in home.iterdir() if p.name.startswith("affidavit.db")]
    assert files
    blobs = {p.name: p.read_bytes() for p in files}
    logs = caplog.text
    for value in IN_ALERTS + IN_STEPS:
        for name, blob in blobs.items():
            assert value.encode() not in blob, f"{value!r} is in plaintext in {name}"
        assert value not in logs, f"{value!r} was logged"
