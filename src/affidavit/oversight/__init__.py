"""Oversight: reading the ledger back — case replay, governance health signals, alert
spike detection (later: evidence packs, reports)."""

from affidavit.oversight.health import HealthState
from affidavit.oversight.replay import CaseReplay, replay_case
from affidavit.oversight.signals import HealthReport, HealthThresholds, Window, health_report
from affidavit.oversight.spike import SpikeDetector, SpikeMonitor, SpikePeriod, SpikeSettings

__all__ = [
    "CaseReplay",
    "HealthReport",
    "HealthState",
    "HealthThresholds",
    "SpikeDetector",
    "SpikeMonitor",
    "SpikePeriod",
    "SpikeSettings",
    "Window",
    "health_report",
    "replay_case",
]
