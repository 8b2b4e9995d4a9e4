"""The health dashboard's figures, from ledger entries."""

from __future__ import annotations

import json
import re

from affidavit.web.health_data import compute_health
from tests.web.conftest import Site


def test_health_counts_outcomes_latency_unread_approvals_and_overdue_reviews(site: Site) -> None:
    gov, tokens, ids = site.gov, site.tokens, site.scenario.proposals
    site.clock.advance(minutes=10)
    gov.approve(tokens["approver"], ids["isolate"], rationale="ok")  # no evidence opened
    gov.view_evidence(tokens["approver2"], ids["critical"])
    gov.approve(tokens["approver2"], ids["critical"], rationale="seen")
    gov.dispose(tokens["analyst"], ids["isolate"], outcome="accepted", reason="true_positive")
    gov.dispose(
        tokens["analyst"],
        ids["critical"],
        outcome="rejected",
        reason="model_error",
        rationale="wrong host",
    )
    gov.breakglass(tokens["breakglass"], ids["disable"], justification="active exfiltration")
    site.clock.advance(hours=25)
    h = compute_health(gov)
    assert h.outcomes["triage · T2"]["accepted"] == 1
    assert h.outcomes["triage · T2"]["rejected"] == 1
    assert h.unread["alice"] == 1 and h.unread["carol"] == 0
    # Ledger entry times are the ledger's own (not the injected clock): count, never durations.
    assert len(h.latencies_s) == 2 and all(s >= 0 for s in h.latencies_s)
    assert sum(h.alerts.values()) == 1 and h.spikes == []
    assert [r["proposal"] for r in h.overdue] == [ids["disable"]]
    c = site.login("auditor")
    page = c.get("/console/health").text
    assert "plotly.min.js" in page and ids["disable"] in page
    block = re.search(r'<script type="application/json" id="fig-unread">(.*?)</script>', page)
    assert block is not None
    fig = json.loads(block.group(1))
    assert fig["data"][1]["y"] == [1, 0]  # alice without evidence, carol with
    assert site.login("breakglass_only").get("/console/health").status_code == 403
