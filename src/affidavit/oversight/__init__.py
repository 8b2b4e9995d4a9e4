"""Oversight: reading the ledger back — case replay, evidence packs, witnesses, governance
health signals, alert spike detection, the compliance report, training data sets.

Prometheus metrics are in :mod:`affidavit.oversight.metrics`; the HTML and PDF
renderers in :mod:`affidavit.oversight.render_html` and ``render_pdf`` (imported on use).
"""

from affidavit.oversight.dataset import ExportResult, export_dataset
from affidavit.oversight.dataset_check import DatasetCheck, affected_datasets, verify_dataset
from affidavit.oversight.dataset_policy import TrainingPolicy
from affidavit.oversight.health import HealthState
from affidavit.oversight.pack import PackScope, PackSummary, export_pack
from affidavit.oversight.replay import CaseReplay, replay_case
from affidavit.oversight.report import ComplianceReport, Control, compliance_report, load_controls
from affidavit.oversight.signals import HealthReport, health_report
from affidavit.oversight.spike import SpikeDetector, SpikeMonitor, SpikePeriod, SpikeSettings
from affidavit.oversight.thresholds import HealthThresholds
from affidavit.oversight.window import Window
from affidavit.oversight.witness import Witness, WitnessState

__all__ = [
    "CaseReplay",
    "ComplianceReport",
    "Control",
    "DatasetCheck",
    "ExportResult",
    "HealthReport",
    "HealthState",
    "HealthThresholds",
    "PackScope",
    "PackSummary",
    "SpikeDetector",
    "SpikeMonitor",
    "SpikePeriod",
    "SpikeSettings",
    "TrainingPolicy",
    "Window",
    "Witness",
    "WitnessState",
    "affected_datasets",
    "compliance_report",
    "export_dataset",
    "export_pack",
    "health_report",
    "load_controls",
    "replay_case",
    "verify_dataset",
]
