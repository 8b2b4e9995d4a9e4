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


AWS_KEY = "AKIAZ3Q4LMN2PR7STYVW"
AWS_SECRET = "aws_secret_access_key = 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"


def test_no_secret_in_proposal_params_or_evidence(
    sqlite_settings: Settings, home: Path, clock: Clock
) -> None:
    """Issue 9, item 5: a planted AWS key in a 20 KB add_case_note text (and in an
    evidence reference) appeared three times in the database file."""
    ledger = Ledger.open(sqlite_settings, clock=clock)
    case = InMemoryConnector("case")
    gov = Governor(ledger, sqlite_settings, connectors={"case": case}, clock=clock)
    _, alice = gov.add_identity(Identity(id="alice", kind="human", roles=("analyst",)))
    filler = "The analyst reviewed the host timeline and found nothing else of note. " * 280
    text = f"{filler[:9000]} Found {AWS_KEY} and {AWS_SECRET} in a script. {filler[:10000]}"
    assert len(text) > 19_000
    proposal = gov.propose(
        alice,
        case="CASE-N",
        action="add_case_note",
        target="case:CASE-N",
        params={"text": text},
        evidence=[f"s3://bucket/dump?key={AWS_KEY}"],
    )
    assert proposal.status == "executed"
    [request] = case.executed
    assert AWS_KEY not in request.params["text"]  # what runs is what was recorded
    assert request.params["text"].startswith(filler[:100])  # the note itself is kept
    ledger.verify()
    ledger.close()
    files = [p for p in home.iterdir() if p.name.startswith("affidavit.db")]
    for p in files:
        blob = p.read_bytes()
        assert AWS_KEY.encode() not in blob, f"the AWS key is in plaintext in {p.name}"
        assert b"Zp7Qe2Lm9Xr4Tb8Wn3Kv6Hs1Jd5Fg0Ac2Yu7Io4P" not in blob, p.name
