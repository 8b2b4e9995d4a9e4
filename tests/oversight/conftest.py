"""Histories for oversight: a Governor and its ledger on one injected clock, and a cast."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from affidavit.config import Settings
from affidavit.connectors import InMemoryConnector
from affidavit.governance.friction import NEVER, FrictionRules
from affidavit.governance.governor import Governor
from affidavit.ledger.log import Ledger
from tests.cli.conftest import cli  # noqa: F401 - the CLI fixture, for the CLI tests here
from tests.conftest import configure
from tests.governance.conftest import CONNECTORS, Cast, Clock, add_cast
from tests.oversight._pack_case import sample  # noqa: F401 - the evidence pack fixture


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed_ledger(settings: Settings, clock: Clock) -> Iterator[Ledger]:
    """The ledger stamps entries with the test clock: latencies and rates are known."""
    with Ledger.open(settings, clock=clock) as opened:
        yield opened


ASSETS = """assets:
  - {id: pc-1, kind: host, criticality: medium, environment: prod, owner: sales}
  - {id: pc-2, kind: host, criticality: medium, environment: prod, owner: sales}
  - {id: pc-3, kind: host, criticality: medium, environment: prod, owner: sales}
"""


def governor(ledger: Ledger, settings: Settings, clock: Clock, **changes: object) -> Governor:
    """A Governor on ``ledger`` whose hosts pc-1..3 are medium criticality (one approval).

    The evidence-item rule is off (``evidence_tier`` never): oversight must read ledgers
    where people approved unread (older ones, or a deployment that switched it off), and
    the scripted history has such an approver."""
    connectors = {name: InMemoryConnector(name) for name in CONNECTORS}
    gov = Governor(
        ledger,
        settings,
        connectors=connectors,  # type: ignore[arg-type]
        clock=clock,
        friction=FrictionRules(evidence_tier=NEVER),
    )
    if changes:
        configure(gov, **changes)
    path = settings.home / "assets.yaml"
    if not path.exists():
        settings.ensure_home()
        path.write_text(ASSETS)
        gov.import_assets(path)
    return gov


@pytest.fixture
def gov(timed_ledger: Ledger, settings: Settings, clock: Clock) -> Governor:
    return governor(timed_ledger, settings, clock)


@pytest.fixture
def cast(gov: Governor) -> Cast:
    return add_cast(gov)
