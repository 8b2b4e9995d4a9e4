"""Health follows ownership transfers: an orphaned agent given a new owner is not orphaned."""

from __future__ import annotations

from affidavit.governance.governor import Governor
from affidavit.oversight.health import HealthState
from affidavit.oversight.signals import Window, health_report
from affidavit.oversight.spike import SpikeSettings
from tests.governance.conftest import Cast, Clock


def _orphans(gov: Governor, clock: Clock) -> dict[str, str]:
    state = HealthState(SpikeSettings())
    state.catch_up(gov.ledger)
    day = clock().date().isoformat()
    report = health_report(state, window=Window.parse(day, day), now=clock())
    return {o["agent"]: o["owner"] for o in report.orphaned_agents}


def test_a_transferred_agent_is_no_longer_orphaned(gov: Governor, cast: Cast, clock: Clock) -> None:
    gov.set_identity_status("olivia", "suspended")
    assert _orphans(gov, clock) == {"responder": "olivia", "triage": "olivia"}
    gov.transfer_identity("triage", "carol")
    assert _orphans(gov, clock) == {"responder": "olivia"}
