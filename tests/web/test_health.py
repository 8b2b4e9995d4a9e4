"""The health dashboard: oversight's health report of the ledger, drawn as four charts."""

from __future__ import annotations

import json
import re

from affidavit.web.health_charts import figures, latency_label
from affidavit.web.routes._health import current_report
from tests.web.conftest import Site


def _figure(page: str, key: str) -> dict[str, object]:
    block = re.search(rf'<script type="application/json" id="fig-{key}">(.*?)</script>', page)
    assert block is not None
    found: dict[str, object] = json.loads(block.group(1))
    return found


def test_health_counts_outcomes_latency_unread_approvals_and_overdue_reviews(site: Site) -> None:
    gov, tokens, ids = site.gov, site.tokens, site.scenario.proposals
    site.clock.advance(minutes=10)
    gov.open_evidence(tokens["approver"], ids["isolate"], 0)
    gov.approve(tokens["approver"], ids["isolate"], rationale="beacon confirmed")
    gov.open_evidence(tokens["approver2"], ids["critical"], 1)
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
    report = current_report(gov)
    (triage,) = [r for r in report.rates["agent"] if r["agent"] == "agent:triage"]
    assert (triage["accepted"], triage["rejected"]) == (1, 1)
    by_person = {r["approver"]: r for r in report.approvers}
    assert by_person["alice"]["no_evidence"] == 0  # an item opened counts as evidence opened
    assert report.latency["count"] == 2
    assert report.alerts["total"] == 1 and report.alerts["spikes"] == []
    drawn = figures(report)
    assert drawn["alerts"]["layout"]["xaxis"]["type"] == "date"
    assert drawn["alerts"]["data"][0]["x"] == [f"{d} 12:00" for d, _ in report.alerts["per_day"]]
    assert drawn["latency"]["data"][0]["x"][0] == "≤ 5 s"
    c = site.login("auditor")
    page = c.get("/console/health").text
    assert "plotly.min.js" in page and ids["disable"] in page
    unread = _figure(page, "unread")
    assert unread["data"][0]["y"] == [1, 1] and unread["data"][1]["y"] == [0, 0]  # type: ignore[index]
    outcomes = _figure(page, "outcomes")
    assert outcomes["data"][0]["x"] == ["triage", "tier 2"]  # type: ignore[index]
    assert site.login("breakglass_only").get("/console/health").status_code == 403


def test_latency_labels_read_as_seconds_minutes_hours_days() -> None:
    assert [latency_label(s) for s in (5, 60, 900, 3600, 86400)] == [
        "≤ 5 s",
        "≤ 1 min",
        "≤ 15 min",
        "≤ 1 h",
        "≤ 1 d",
    ]
