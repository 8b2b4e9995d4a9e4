"""The compliance report: catalogue, evidence, statuses and the three formats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from affidavit.demo import run_demo
from affidavit.errors import InputError
from affidavit.governance.governor import Governor
from affidavit.oversight import HealthState, Window
from affidavit.oversight.evidence import QUERIES
from affidavit.oversight.render_html import render_html
from affidavit.oversight.render_pdf import render_pdf
from affidavit.oversight.report import ComplianceReport, compliance_report, load_controls
from affidavit.oversight.spike import SpikeSettings
from tests.conftest import day
from tests.governance.conftest import Cast, Clock
from tests.oversight._history import SPIKE_ON, build_history

REQUIRED = {
    "NIST AI RMF 1.0": {
        "GOVERN 1.4",
        "GOVERN 2.1",
        "GOVERN 3.2",
        "MAP 3.5",
        "MEASURE 2.4",
        "MEASURE 2.8",
        "MEASURE 2.9",
        "MANAGE 2.4",
        "MANAGE 4.1",
        "MANAGE 4.3",
    },
    "NIST CSF 2.0": {
        "GV.RR-02",
        "PR.AA-01",
        "PR.AA-05",
        "PR.PS-04",
        "RS.MA-04",
        "RS.AN-06",
        "RS.AN-07",
    },
    "OWASP Top 10 for Agentic Applications 2026": {
        "ASI02",
        "ASI03",
        "ASI07",
        "ASI08",
        "ASI09",
        "ASI10",
    },
    "CSA MAESTRO": {"Layer 3", "Layer 5", "Layer 6", "Layer 7"},
    "EU AI Act": {"Art. 12", "Art. 14", "Art. 14(4)(b)", "Art. 14(4)(d)"},
    "ISO/IEC 42001": {"A.6.2.8"},
}


def _report(gov: Governor, clock: Clock, **kwargs: object) -> ComplianceReport:
    state = HealthState(SpikeSettings(on=SPIKE_ON))
    state.catch_up(gov.ledger)
    return compliance_report(
        gov.ledger,
        state,
        window=kwargs.pop("window", Window()),  # type: ignore[arg-type]
        now=clock(),
        controls=kwargs.pop("controls", load_controls()),  # type: ignore[arg-type]
    )


def test_the_catalogue_covers_the_required_controls_with_known_queries() -> None:
    controls = load_controls()
    for framework, refs in REQUIRED.items():
        found = {c.ref for c in controls if c.framework == framework}
        for ref in refs:
            assert any(f == ref or f.startswith(ref + " ") for f in found), (framework, ref)
    assert all(q in QUERIES for c in controls for q in c.evidence)
    assert len({c.id for c in controls}) == len(controls)


def test_a_demo_history_has_no_unexplained_gap_in_any_format(
    gov: Governor, clock: Clock, tmp_path: Path
) -> None:
    run_demo(gov, 40)
    report = _report(gov, clock)
    data = report.to_dict()
    assert data["ledger"]["verified"] is True
    assert sum(data["summary"].values()) == len(load_controls())
    for control in data["controls"]:
        assert control["status"] in ("pass", "gap", "not_applicable")
        for evidence in control["evidence"]:
            assert evidence["explanation"].strip()
            assert all(0 <= s < data["ledger"]["size"] for s in evidence["entries"])
        if control["status"] == "gap":
            assert any(e["status"] == "gap" for e in control["evidence"])
    assert data["summary"]["pass"] > data["summary"]["gap"]
    # The demo publishes its policy bundle (a versioned policy is no gap); what gaps
    # remain are explained above.
    gaps = {e["query"] for c in data["controls"] for e in c["evidence"] if e["status"] == "gap"}
    assert "policy_versioned" not in gaps
    json.dumps(data)  # JSON-ready

    page = render_html(report)
    assert page.startswith("<!doctype html>") and page.count("<svg") == 4
    assert "<script" not in page and not re.search(r"(src|href)=", page)  # self-contained
    assert "GOVERN 1.4" in page and "Art. 14(4)(b)" in page

    pdf = render_pdf(report)
    assert pdf.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type /Page[^s]", pdf))
    assert pages >= 3


def test_gaps_follow_the_scripted_history(gov: Governor, cast: Cast, clock: Clock) -> None:
    history = build_history(gov, cast, clock)
    unsigned = _report(gov, clock)
    assert {n: e.status for r in unsigned.results for n, e in r.evidence}[
        "checkpoints_signed"
    ] == "gap"
    gov.ledger.checkpoint()
    report = _report(gov, clock, window=Window.parse(day(0), day(9)))
    results = {r.control.id: r for r in report.results}
    found = {name: e for r in report.results for name, e in r.evidence}
    assert found["approvers_not_rubber_stamping"].status == "gap"
    assert (
        "bob (fast, no_evidence, always_approves)"
        in found["approvers_not_rubber_stamping"].explanation
    )
    assert "carol" not in found["approvers_not_rubber_stamping"].explanation
    assert found["breakglass_reviewed"].status == "gap"
    overdue_seq = gov.proposal(history.overdue_breakglass).seq
    assert all(s > overdue_seq for s in found["breakglass_reviewed"].entries)  # the invocation
    assert found["owners_accountable"].status == "gap"
    assert "scout" in found["owners_accountable"].explanation
    assert found["acceptance_monitored"].status == "gap"
    assert found["separation_of_duties"].status == "pass"
    assert found["no_unauthorized_execution"].status == "pass"
    assert found["overrides_recorded"].status == "pass"
    assert found["alert_surges_tracked"].status == "pass"
    assert results["eu-ai-act/Art.14.4b"].status == "gap"
    assert results["eu-ai-act/Art.12"].status == "pass"
    # A window before anything happened: nothing applies, nothing is a gap for lack of data.
    empty = _report(gov, clock, window=Window.parse("2020-01-01", "2020-01-31"))
    assert {r.status for r in empty.results if r.control.id.startswith("eu-ai-act/Art.14.4")} == {
        "not_applicable"
    }


def test_user_controls_extend_and_replace(tmp_path: Path) -> None:
    extra = tmp_path / "controls.yaml"
    extra.write_text(
        "controls:\n"
        "  - {id: acme/SOC-7, framework: ACME internal, ref: SOC-7, title: Approvals are careful,"
        " rationale: ours, evidence: [approvers_not_rubber_stamping]}\n"
        "  - {id: eu-ai-act/Art.12, framework: EU AI Act, ref: Art. 12, title: Replaced,"
        " rationale: stricter, evidence: [ledger_integrity]}\n"
    )
    controls = load_controls(extra)
    by_id = {c.id: c for c in controls}
    assert by_id["acme/SOC-7"].framework == "ACME internal"
    assert by_id["eu-ai-act/Art.12"].title == "Replaced"
    assert len(controls) == len(load_controls()) + 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("controls: 3\n", "must hold `controls:`"),
        ("[1, 2]\n", "must hold `controls:`"),
        ("{{{\n", "not valid YAML"),
        ("controls:\n  - {id: x}\n", "needs exactly"),
        (
            "controls:\n  - {id: a/b, framework: F, ref: R, title: T, rationale: W, evidence: [rm_rf]}\n",
            "unknown evidence queries",
        ),
        (
            "controls:\n  - {id: 'a b\"<x>', framework: F, ref: R, title: T, rationale: W, evidence: [ledger_integrity]}\n",
            "control id is",
        ),
        (
            "controls:\n  - {id: a/b, framework: F, ref: R, title: '', rationale: W, evidence: [ledger_integrity]}\n",
            "title must be text",
        ),
        (
            "controls:\n  - {id: a/b, framework: F, ref: R, title: T, rationale: W, evidence: ledger_integrity}\n",
            "evidence is a list",
        ),
    ],
)
def test_bad_controls_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "controls.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        load_controls(path)
    assert "<x>" not in str(caught.value)  # a rejected value is never echoed
