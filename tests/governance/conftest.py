"""A Governor over a fresh ledger with in-memory connectors, a settable clock, and a cast."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from tests.conftest import Clock, configure

from affidavit.config import Settings
from affidavit.connectors import InMemoryConnector
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from affidavit.ledger.log import Ledger

CONNECTORS = ("intel", "idp", "edr", "case", "ticketing", "webhook", "firewall", "email")
AGENT_SCOPES = (
    "enrich_ip_reputation",
    "add_case_note",
    "isolate_host",
    "block_ip",
    "disable_account",
    "revoke_sessions",
    "wipe_host",
)


@dataclass
class Cast:
    """Tokens of the people and agents in the scenarios."""

    alice: str  # analyst, approver:ir_lead
    bob: str  # approver:ir_lead, breakglass
    carol: str  # approver:soc_manager, approver:ir_lead
    dave: str  # analyst only
    olivia: str  # approver:ir_lead; owns the triage agent
    triage: str  # agent owned by olivia
    responder: str  # agent owned by olivia, may not see pii


@pytest.fixture
def ledger(settings: Settings, clock: Clock) -> Iterator[Ledger]:
    """The ledger on the test clock: entry times follow it, as retention and the spike
    flag compare them with the Governor's clock (with the wall clock's times the
    retention test failed once the real date passed the test clock's)."""
    with Ledger.open(settings, clock=clock) as opened:
        yield opened


@pytest.fixture
def connectors() -> dict[str, InMemoryConnector]:
    return {name: InMemoryConnector(name) for name in CONNECTORS}


def make_governor(
    ledger: Ledger,
    settings: Settings,
    clock: Clock,
    connectors: dict[str, InMemoryConnector],
    **changes: object,
) -> Governor:
    """A Governor; ``changes`` are published as its governance configuration (see
    tests.conftest.CONFIG_KEYS)."""
    gov = Governor(ledger, settings, connectors=connectors, clock=clock)  # type: ignore[arg-type]
    if changes:
        configure(gov, **changes)
    return gov


@pytest.fixture
def gov(
    ledger: Ledger, settings: Settings, clock: Clock, connectors: dict[str, InMemoryConnector]
) -> Governor:
    return make_governor(ledger, settings, clock, connectors)


def add_cast(gov: Governor) -> Cast:
    def human(name: str, *roles: str) -> str:
        return gov.add_identity(Identity(id=name, kind="human", roles=roles))[1]

    tokens = {
        "alice": human("alice", "analyst", "approver:ir_lead"),
        "bob": human("bob", "approver:ir_lead", "breakglass"),
        "carol": human("carol", "approver:soc_manager", "approver:ir_lead"),
        "dave": human("dave", "analyst"),
        "olivia": human("olivia", "approver:ir_lead"),
    }
    tokens["triage"] = gov.add_identity(
        Identity(
            id="triage",
            kind="agent",
            owner="olivia",
            scopes=AGENT_SCOPES,
            data_classes=("pii", "internal_identifier"),
        )
    )[1]
    tokens["responder"] = gov.add_identity(
        Identity(
            id="responder",
            kind="agent",
            owner="olivia",
            scopes=AGENT_SCOPES,
            data_classes=("internal_identifier",),
        )
    )[1]
    return Cast(**tokens)


@pytest.fixture
def cast(gov: Governor) -> Cast:
    return add_cast(gov)
