"""Retention by impact: short window for enrichment-only cases, long for containment."""

from __future__ import annotations

import pytest
from tests.conftest import configure
from tests.governance.conftest import Cast, Clock

from affidavit.errors import InputError, NotFound
from affidavit.governance.governor import Governor
from affidavit.governance.retention import RetentionPolicy


def _case_with_step(gov: Governor, cast: Cast, case: str) -> str:
    step = gov.record_step(
        cast.triage,
        case=case,
        model="m",
        model_version="1",
        prompt=f"prompt for {case}".encode(),
        output=b"analysis",
    )
    return step.prompt_sha256


def test_sweep_erases_by_impact(gov: Governor, cast: Cast, clock: Clock) -> None:
    enrich_only = _case_with_step(gov, cast, "CASE-ENRICH")
    gov.propose(
        cast.triage, case="CASE-ENRICH", action="enrich_ip_reputation", target="ip:203.0.113.1"
    )
    contained = _case_with_step(gov, cast, "CASE-CONTAIN")
    gov.propose(
        cast.triage, case="CASE-CONTAIN", action="block_ip", target="ip:203.0.113.2", confidence=0.9
    )
    configure(gov, retention_impact_days=365, retention_short_days=30)
    policy = None  # the published configuration's periods

    assert [r.payloads for r in gov.sweep_retention(policy, dry_run=False)] == [0, 0]
    clock.advance(days=31)
    dry = gov.sweep_retention(policy, dry_run=True)
    assert [(r.rule, r.payloads, r.cases) for r in dry] == [
        ("retention:short", 2, 1),
        ("retention:impact", 0, 0),
    ]
    assert gov.ledger.payload(enrich_only)  # a dry run erases nothing
    gov.sweep_retention(policy, dry_run=False)
    with pytest.raises(NotFound, match="erased"):
        gov.ledger.payload(enrich_only)
    assert gov.ledger.payload(contained) == b"prompt for CASE-CONTAIN"
    clock.advance(days=400)
    gov.sweep_retention(policy, dry_run=False)
    with pytest.raises(NotFound, match="erased"):
        gov.ledger.payload(contained)
    report = gov.ledger.verify()
    assert report.erased == 4
    assert {e["rule"] for e in report.erasures} == {"retention:short", "retention:impact"}


def test_erase_a_case_on_request(gov: Governor, cast: Cast) -> None:
    ref = _case_with_step(gov, cast, "CASE-DSR")
    assert gov.erase_case("CASE-DSR", reason="subject access #12") == 2
    with pytest.raises(NotFound):
        gov.ledger.payload(ref)
    with pytest.raises(NotFound, match="no payloads left"):
        gov.erase_case("CASE-DSR", reason="again")
    with pytest.raises(InputError):
        gov.erase_case("bad case!", reason="x")
    assert gov.ledger.verify().erased == 2


def test_retention_policy_validates() -> None:
    with pytest.raises(InputError):
        RetentionPolicy(full_days=10, short_days=30)


def test_a_caller_cannot_shorten_the_published_retention(
    gov: Governor, cast: Cast, clock: Clock
) -> None:
    """The attack: ``payload sweep --full-days 0.00001`` erased every payload, containment
    cases' included. The periods are the published configuration's minimum."""
    contained = _case_with_step(gov, cast, "CASE-CONTAIN")
    gov.propose(cast.triage, case="CASE-CONTAIN", action="block_ip", target="ip:203.0.113.2")
    clock.advance(days=40)
    for asked in (
        RetentionPolicy(full_days=0.00001, short_days=0.00001),
        RetentionPolicy(full_days=365, short_days=30),
        RetentionPolicy(full_days=7 * 365, short_days=30, impact_tier=3),
    ):
        with pytest.raises(InputError, match="may only be"):
            gov.sweep_retention(asked, dry_run=False)
    longer = RetentionPolicy(full_days=10 * 365, short_days=60)
    assert [r.payloads for r in gov.sweep_retention(longer, dry_run=False)] == [0, 0]
    assert [r.payloads for r in gov.sweep_retention(dry_run=False)] == [0, 0]
    assert gov.ledger.payload(contained) == b"prompt for CASE-CONTAIN"
