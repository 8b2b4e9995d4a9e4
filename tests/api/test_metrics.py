"""GET /metrics over real HTTP on loopback: Prometheus text of the governance health
signals, for auditor and admin tokens only, caught up with the ledger on every scrape."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import Live


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _decide(live: Live, approver: str, *, deny: bool) -> str:
    proposal = live.gov.propose(
        live.tokens["agent"],
        case="C-metrics",
        action="isolate_host",
        target="host:pc-sales-0215",
        evidence=["alert:edr-1"],
    )
    live.gov.open_evidence(live.tokens[approver], proposal.id, 0)
    live.clock.advance(minutes=5)
    live.gov.approve(live.tokens[approver], proposal.id, rationale="checked in EDR", deny=deny)
    return proposal.id


def _scrape(live: Live, who: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with live.client(who) as client:
        response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return _samples(response.text)


def test_metrics_follow_the_ledger_for_auditors_and_admins(live: Live) -> None:
    _decide(live, "approver", deny=False)
    first = _scrape(live, "auditor")
    alice = ("approver", "alice")
    assert first[("affidavit_approver_decisions_total", (alice, ("verdict", "approve")))] == 1
    assert first[("affidavit_approver_decisions_total", (alice, ("verdict", "deny")))] == 0
    assert first[("affidavit_approval_latency_seconds_count", ())] == 1
    assert first[("affidavit_approval_latency_seconds_sum", ())] == 300
    assert first[("affidavit_alert_spike", ())] == 0

    # later entries are folded in on the next scrape, by any allowed caller
    _decide(live, "approver2", deny=True)
    _decide(live, "approver", deny=False)
    later = _scrape(live, "admin")
    carol = ("approver", "carol")
    assert later[("affidavit_approver_decisions_total", (alice, ("verdict", "approve")))] == 2
    assert later[("affidavit_approver_decisions_total", (carol, ("verdict", "deny")))] == 1
    assert later[("affidavit_approval_latency_seconds_count", ())] == 2
    live.gov.ledger.verify()


@pytest.mark.parametrize("who", ["analyst", "approver", "agent", "integration", "owner"])
def test_metrics_are_refused_to_other_roles(live: Live, who: str) -> None:
    before = live.size()
    with live.client(who) as client:
        response = client.get("/metrics")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert "affidavit_" not in response.text
    assert live.size() == before


def test_metrics_without_a_valid_token_are_401(live: Live) -> None:
    for headers in ({}, {"Authorization": "Bearer afd_" + "x" * 43}, {"Authorization": "Basic x"}):
        with live.client(**headers) as client:
            response = client.get("/metrics")
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert "affidavit_" not in response.text
