"""One clock: the Governor's injected clock stamps every entry and decides every comparison."""

from __future__ import annotations

from tests.conftest import Clock
from tests.governance.conftest import Cast, make_governor

from affidavit.clock import iso
from affidavit.config import Settings
from affidavit.connectors import InMemoryConnector
from affidavit.governance.governor import Governor
from affidavit.governance.retention import RetentionPolicy
from affidavit.ledger.log import Ledger
from affidavit.samples.alerts import generate_alerts


def test_every_entry_carries_the_time_of_its_command(
    gov: Governor, cast: Cast, clock: Clock
) -> None:
    stamped = iso(clock())
    start = gov.ledger.size()
    alerts = gov.ingest_objects(generate_alerts(3, seed=2), case="CASE-T")
    step = gov.record_step(
        cast.triage, case="CASE-T", model="m", model_version="1", prompt=b"p", output=b"o"
    )
    enrich = gov.propose(
        cast.triage,
        case="CASE-T",
        action="enrich_ip_reputation",
        target="ip:203.0.113.5",
        evidence=["alert:t-1"],
    )
    block = gov.propose(
        cast.triage,
        case="CASE-T",
        action="block_ip",
        target="ip:203.0.113.6",
        evidence=["alert:t-1"],
    )
    gov.view_evidence(cast.alice, block.id)
    gov.breakglass(cast.bob, block.id, justification="spreading")
    gov.review_breakglass(cast.carol, block.id, upheld=True, rationale="justified")
    gov.dispose(cast.alice, enrich.id, outcome="accepted", reason="true_positive")
    gov.rotate_token("dave")
    gov.set_identity_status("dave", "suspended")
    gov.publish_policy(gov.active_policy()[1] + "\n// v2\n")
    gov.erase_payloads([step.prompt_sha256], reason="request #1")
    gov.erase_case("CASE-T", reason="request #2")
    written = list(gov.ledger.entries(start=start))
    assert len(written) > 15 and all(a.seq is not None for a in alerts)
    assert {e.time for e in written} == {stamped}


def test_retention_compares_against_the_governor_clock(
    gov: Governor, cast: Cast, clock: Clock
) -> None:
    gov.record_step(
        cast.triage, case="CASE-OLD", model="m", model_version="1", prompt=b"p", output=b"o"
    )
    policy = RetentionPolicy(full_days=7 * 365, short_days=30)
    clock.advance(days=29)
    assert [r.payloads for r in gov.sweep_retention(policy, dry_run=True)] == [0, 0]
    clock.advance(days=2)
    assert [r.payloads for r in gov.sweep_retention(policy, dry_run=True)] == [2, 0]


def test_the_spike_window_is_the_governor_clock(
    ledger: Ledger, settings: Settings, clock: Clock, connectors: dict[str, InMemoryConnector]
) -> None:
    first = make_governor(ledger, settings, clock, connectors, spike_alerts_per_15m=3)
    first.ingest_objects(generate_alerts(4, seed=3), case="CASE-S")
    assert first.spike()
    clock.advance(minutes=16)
    later = make_governor(ledger, settings, clock, connectors, spike_alerts_per_15m=3)
    assert not later.spike()  # a new Governor: no cached answer
