"""Governance health signals on a scripted history with known answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from affidavit.errors import InputError
from affidavit.governance.governor import Governor
from affidavit.ledger.log import Ledger
from affidavit.oversight.health import HealthState
from affidavit.oversight.metrics import register_health_metrics
from affidavit.oversight.signals import HealthReport, HealthThresholds, Window, health_report
from affidavit.oversight.snapshot import current_state, save_state, state_from_json, state_to_json
from affidavit.oversight.spike import SpikeSettings
from tests.conftest import day
from tests.governance.conftest import Cast, Clock
from tests.oversight._history import SPIKE_ON, History, build_history

WINDOW = Window.parse(day(0), day(9))


@pytest.fixture
def history(gov: Governor, cast: Cast, clock: Clock) -> History:
    return build_history(gov, cast, clock)


def _report(ledger: Ledger, clock: Clock, **kwargs: object) -> HealthReport:
    state = HealthState(SpikeSettings(on=SPIKE_ON))
    state.catch_up(ledger)
    return health_report(state, window=WINDOW, now=clock(), **kwargs)  # type: ignore[arg-type]


def _by(rows: list[dict[str, object]], key: str) -> dict[object, dict[str, object]]:
    return {row[key]: row for row in rows}


def test_the_rubber_stamping_approver_is_flagged_and_the_careful_one_is_not(
    gov: Governor, history: History, clock: Clock
) -> None:
    report = _report(gov.ledger, clock)
    approvers = _by(report.approvers, "approver")
    bob, carol = approvers["bob"], approvers["carol"]
    assert bob["flags"] == ["fast", "no_evidence", "always_approves"]
    assert (bob["decisions"], bob["approvals"], bob["fast"], bob["no_evidence"]) == (20, 20, 20, 20)
    assert bob["median_latency_s"] == 10.0
    assert carol["flags"] == []
    assert (carol["decisions"], carol["approvals"], carol["denials"]) == (15, 10, 5)
    assert (carol["fast"], carol["no_evidence"]) == (0, 0)
    assert carol["approval_rate"] == pytest.approx(10 / 15, abs=1e-3)
    assert carol["median_latency_s"] == 600.0
    assert report.flagged_approvers == ["bob"]
    # Thresholds are configurable: with a lenient policy nobody is flagged.
    lenient = HealthThresholds(fast_approval_s=5, min_decisions=100, high_volume=1000)
    assert _report(gov.ledger, clock, thresholds=lenient).flagged_approvers == []

    # Acceptance, override and rejection per agent, model and tier.
    rates = report.rates
    agents = _by(rates["agent"], "agent")
    triage, responder = agents["agent:triage"], agents["agent:responder"]
    assert (triage["dispositions"], triage["accepted"], triage["rejected"]) == (35, 20, 15)
    assert triage["acceptance_rate"] == pytest.approx(20 / 35)
    assert triage["rejection_rate"] == pytest.approx(15 / 35)
    assert (responder["accepted"], responder["modified"], responder["override_rate"]) == (10, 10, 0)
    assert _by(rates["model"], "model")["m-a"]["dispositions"] == 35
    assert _by(rates["model"], "model")["m-b"]["acceptance_rate"] == 0.5
    assert _by(rates["tier"], "tier")[2]["dispositions"] == 55

    # Approval latency: proposal created -> approval.
    latency = report.latency
    assert latency["count"] == 30  # 20 of bob's at 10 s, 10 of carol's at 600 s
    assert (latency["p50_s"], latency["p90_s"], latency["max_s"]) == (10.0, 600.0, 600.0)
    assert dict((le, n) for le, n in latency["buckets"])[15.0] == 20
    assert dict((le, n) for le, n in latency["buckets"])[900.0] == 30
    assert latency["sum_s"] == pytest.approx(20 * 10 + 10 * 600)

    # The same signals fill a Prometheus registry, read on every scrape.
    registry = CollectorRegistry()
    register_health_metrics(registry, lambda: report)
    value = registry.get_sample_value
    assert value("affidavit_approver_rubber_stamp", {"approver": "bob", "signal": "fast"}) == 1
    assert value("affidavit_approver_rubber_stamp", {"approver": "carol", "signal": "fast"}) == 0
    assert value("affidavit_approval_latency_seconds_bucket", {"le": "15.0"}) == 20
    assert value("affidavit_approval_latency_seconds_count") == 30
    labels = {"agent": "agent:triage", "outcome": "accepted"}
    assert value("affidavit_dispositions_by_agent_total", labels) == 20
    assert b"affidavit_agent_owner_gone" in generate_latest(registry)


def test_drift_breakglass_owners_alerts_and_windows(
    gov: Governor, history: History, clock: Clock
) -> None:
    state = HealthState(SpikeSettings(on=SPIKE_ON))
    state.catch_up(gov.ledger)
    report = health_report(state, window=WINDOW, now=clock())
    drift = _by(report.drift, "agent")
    assert drift["triage"]["flagged"] is True
    assert (drift["triage"]["baseline_rate"], drift["triage"]["recent_rate"]) == (0.8, 0.0)
    assert drift["responder"]["flagged"] is False  # nothing recent to compare
    assert [o["proposal"] for o in report.breakglass["overdue"]] == [history.overdue_breakglass]
    assert (report.breakglass["invoked"], report.breakglass["reviewed"]) == (2, 1)
    orphans = {o["agent"]: o["owner_status"] for o in report.orphaned_agents}
    assert orphans == {"scout": "suspended", "watcher": "expired"}
    assert report.alerts["total"] == 30
    [spike] = report.alerts["spikes"]
    assert spike["start"].startswith(f"{day(9)}T10:00") and spike["end"] is not None
    # A window counts only its days: the day before the surge there was none ...
    earlier = health_report(state, window=Window.parse(day(0), day(8)), now=clock())
    assert earlier.alerts["spikes"] == [] and earlier.alerts["total"] == 0
    first_day = health_report(state, window=Window.parse(day(0), day(0)), now=clock())
    assert _by(first_day.approvers, "approver")["bob"]["approvals"] == 20
    assert first_day.drift[0]["recent_rate"] is not None
    # As of the end of 2026-11-28 no break-glass was due yet (none had been invoked).
    assert first_day.breakglass["overdue"] == []
    assert first_day.window["as_of"] == f"{day(1)}T00:00:00.000000Z"


def test_incremental_folding_equals_a_full_fold(
    gov: Governor, history: History, clock: Clock, tmp_path: Path
) -> None:
    full = _report(gov.ledger, clock)
    size = gov.ledger.size()
    part = HealthState(SpikeSettings(on=SPIKE_ON))
    assert part.catch_up(gov.ledger, end=size // 2) == size // 2
    saved = tmp_path / "health.json"
    saved.write_text(json.dumps(state_to_json(part)))
    resumed = state_from_json(json.loads(saved.read_text()), SpikeSettings(on=SPIKE_ON))
    assert resumed.catch_up(gov.ledger) == size - size // 2
    assert resumed.position == size
    assert health_report(resumed, window=WINDOW, now=clock()) == full
    assert resumed.catch_up(gov.ledger) == 0  # nothing new: nothing read twice

    # Entries out of order, and saved states that are not one, are refused.

    state = HealthState()
    with pytest.raises(InputError, match="health state is at entry 0"):
        state.fold(gov.ledger.entry(5))
    for bad in (None, [], {"format": 99}, {"format": 1, "position": 3}):
        with pytest.raises(InputError):
            state_from_json(bad, SpikeSettings())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fast_approval_s: -1\n", ">= 0"),
        ("fast_share: 2\n", "fraction"),
        ("high_volume: 2.5\n", "whole number"),
        ("high_volume: yes\n", "must be a number"),
        ("nonsense: 1\n", "unknown thresholds"),
        ("- a list\n", "mapping"),
        ("{{{\n", "not a YAML file"),
    ],
)
def test_bad_thresholds_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "thresholds.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        HealthThresholds.load(path)


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2026-13-01", None, "--from must be a date"),
        ("yesterday", None, "--from must be a date"),
        (None, "2026-02-30", "--to must be a date"),
        ("2026-12-07", "2026-12-01", "not be later"),
    ],
)
def test_bad_windows_are_refused(first: str | None, last: str | None, message: str) -> None:
    with pytest.raises(InputError, match=message):
        Window.parse(first, last)


def test_an_empty_ledger_has_empty_signals() -> None:
    report = health_report(HealthState(), now=datetime(2030, 1, 1, tzinfo=UTC))
    assert report.approvers == [] and report.latency["count"] == 0 and report.drift == []
    assert report.alerts["spikes"] == [] and report.latency["p50_s"] is None


def test_a_snapshot_is_used_only_for_the_ledger_it_was_folded_from(
    gov: Governor, cast: Cast, clock: Clock, tmp_path: Path
) -> None:
    gov.record_step(cast.triage, case="C-1", model="m", model_version="1", prompt=b"p", output=b"o")
    path = tmp_path / "health-state.json"
    settings = SpikeSettings(on=SPIKE_ON)
    state = current_state(gov.ledger, path, settings)
    save_state(state, path)
    assert path.stat().st_mode & 0o777 == 0o600
    gov.record_step(cast.triage, case="C-2", model="m", model_version="1", prompt=b"p", output=b"o")
    resumed = current_state(gov.ledger, path, settings)
    assert (
        resumed.position == gov.ledger.size()
        and resumed.days == current_state(gov.ledger, None, settings).days
    )
    # Another ledger's snapshot (its last entry differs), other spike settings, or junk:
    # folded again from the first entry, with the same result.
    data = json.loads(path.read_text())
    data["state"]["last_leaf"] = "00" * 32
    data["state"]["alerts"] = {"1999-01-01": 999}
    path.write_text(json.dumps(data))
    assert "1999-01-01" not in current_state(gov.ledger, path, settings).alerts
    save_state(state, path)
    assert current_state(gov.ledger, path, SpikeSettings(on=7)).position == gov.ledger.size()
    path.write_text("{not json")
    assert current_state(gov.ledger, path, settings).position == gov.ledger.size()
