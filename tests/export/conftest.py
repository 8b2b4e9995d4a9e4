"""A governed ledger with decisions, approvals, executions and model steps to export.

Secrets are planted where people and agents can type them: a proposal
rationale, a parameter, an approval rationale, a connector's error message and
a model prompt (which the ledger keeps as a payload digest only).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from affidavit.config import Settings
from affidavit.connectors import ActionResult, InMemoryConnector
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from affidavit.ledger.log import Ledger
from tests.export._receivers import HttpReceiver, SyslogReceiver

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
PASSWORD = "password=Tr0ub4dor3xPlanted"
GITHUB = "ghp_plantedPlantedPlanted0123456789abcde"
PROMPT_SECRET = "xoxb-123456789012-1234567890123-PlantedSlackTokenAbc"
PLANTED = (AWS_KEY, "Tr0ub4dor3xPlanted", GITHUB, PROMPT_SECRET)
CONNECTORS = ("intel", "idp", "edr", "case", "ticketing", "webhook", "firewall", "email")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=250)
        return self.now


@dataclass
class Activity:
    gov: Governor
    agent: str
    alice: str
    bob: str


def record_activity(ledger: Ledger, settings: Settings) -> Activity:
    """One case worked end to end, with planted secrets; returns the tokens to do more."""
    connectors = {name: InMemoryConnector(name) for name in CONNECTORS}
    connectors["firewall"].set_outcome(
        "block_ip",
        ActionResult(
            "failed",
            {"error": f"firewall said: token {GITHUB} rejected", "error_kind": "http_status"},
        ),
    )
    gov = Governor(ledger, settings, connectors=connectors, clock=Clock())
    alice = gov.add_identity(Identity(id="alice", kind="human", roles=("approver:ir_lead",)))[1]
    bob = gov.add_identity(
        Identity(id="bob", kind="human", roles=("approver:ir_lead", "breakglass"))
    )[1]
    gov.add_identity(Identity(id="olivia", kind="human", roles=("approver:ir_lead",)))
    agent = gov.add_identity(
        Identity(
            id="triage",
            kind="agent",
            owner="olivia",
            models=("soc-llm",),
            scopes=("enrich_ip_reputation", "isolate_host", "block_ip", "wipe_host"),
            data_classes=("internal_identifier",),
        )
    )[1]
    step = gov.record_step(
        agent,
        case="CASE-1",
        model="soc-llm",
        model_version="2026-10",
        prompt=f"Triage this alert; the attacker used {PROMPT_SECRET}".encode(),
        output=b"Likely true positive on pc-sales-0215; contain.",
    )
    gov.propose(
        agent,
        case="CASE-1",
        action="enrich_ip_reputation",
        target="ip:203.0.113.7",
        step=step.id,
        evidence=["alert:t-1"],
    )
    pending = gov.propose(
        agent,
        case="CASE-1",
        action="isolate_host",
        target="host:pc-sales-0215",
        params={"comment": f"creds seen: {PASSWORD}"},
        confidence=0.9,
        rationale=f"beaconing; key {AWS_KEY} found in a script",
        step=step.id,
        evidence=["alert:t-1"],
    )
    gov.open_evidence(alice, pending.id, 0)
    gov.approve(alice, pending.id, rationale=f"confirmed; rotate {AWS_KEY}")
    gov.open_evidence(bob, pending.id, 0)
    gov.approve(bob, pending.id, rationale="agreed")
    block = gov.propose(
        agent,
        case="CASE-1",
        action="block_ip",
        target="ip:198.51.100.23",
        confidence=0.95,
        rationale="C2 address",
        evidence=["alert:t-1"],
    )
    gov.breakglass(bob, block.id, justification="exfiltration in progress")
    gov.review_breakglass(alice, block.id, upheld=True, rationale="justified")
    refused = gov.propose(
        agent,
        case="CASE-1",
        action="isolate_host",
        target="host:pc-hr-0007",
        evidence=["alert:t-1"],
    )
    gov.approve(alice, refused.id, deny=True, rationale="that host is the CFO's; call first")
    gov.propose(
        agent,
        case="CASE-1",
        action="wipe_host",
        target="host:pc-sales-0215",
        evidence=["alert:t-1"],
    )
    return Activity(gov, agent, alice, bob)


@pytest.fixture
def activity(ledger: Ledger, settings: Settings) -> Activity:
    return record_activity(ledger, settings)


@pytest.fixture
def siem() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def collector() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver(protobuf=True)
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def syslog_tcp() -> Iterator[SyslogReceiver]:
    receiver = SyslogReceiver("tcp")
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def syslog_udp() -> Iterator[SyslogReceiver]:
    receiver = SyslogReceiver("udp")
    receiver.start()
    yield receiver
    receiver.stop()
