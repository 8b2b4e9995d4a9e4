"""Governance health as Prometheus metrics.

:func:`register_health_metrics` adds a collector to a ``CollectorRegistry``;
each scrape asks ``source`` for the current :class:`HealthReport` (the caller
keeps a :class:`HealthState` current with ``catch_up`` and decides the
window), so nothing is computed between scrapes. The API serves the registry
at ``/metrics`` with ``prometheus_client.generate_latest``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from affidavit.oversight.signals import OUTCOMES, HealthReport

__all__ = ["HealthCollector", "register_health_metrics"]

_P = "affidavit_"
_FLAGS = ("fast", "no_evidence", "always_approves")


class HealthCollector(Collector):
    """Yields the health signals of ``source()`` on every collection."""

    def __init__(self, source: Callable[[], HealthReport]) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        report = self._source()
        yield from _dispositions(report)
        yield _latency(report)
        yield from _approvers(report)
        yield from _alerts(report)
        drift = GaugeMetricFamily(
            _P + "agent_acceptance_drift",
            "Recent minus baseline acceptance rate of an agent's recommendations.",
            labels=["agent", "flagged"],
        )
        for row in report.drift:
            if row["delta"] is not None:
                drift.add_metric([row["agent"], str(row["flagged"]).lower()], row["delta"])
        yield drift
        yield GaugeMetricFamily(
            _P + "breakglass_reviews_overdue",
            "Break-glass authorizations whose review is past due.",
            value=len(report.breakglass["overdue"]),
        )
        orphans = GaugeMetricFamily(
            _P + "agent_owner_gone",
            "Agents whose accountable owner is suspended, retired or expired (1 each).",
            labels=["agent", "owner_status"],
        )
        for row in report.orphaned_agents:
            orphans.add_metric([row["agent"], row["owner_status"]], 1)
        yield orphans


def register_health_metrics(
    registry: CollectorRegistry, source: Callable[[], HealthReport]
) -> HealthCollector:
    """Register the health collector on ``registry``; returns it (to unregister later)."""
    collector = HealthCollector(source)
    registry.register(collector)
    return collector


def _dispositions(report: HealthReport) -> Iterator[Metric]:
    for group in ("agent", "model", "tier"):
        total = CounterMetricFamily(
            f"{_P}dispositions_by_{group}",
            f"Final dispositions of AI recommendations by {group} and outcome.",
            labels=[group, "outcome"],
        )
        rate = GaugeMetricFamily(
            f"{_P}disposition_rate_by_{group}",
            f"Share of dispositions with each outcome, by {group}.",
            labels=[group, "outcome"],
        )
        for row in report.rates[group]:
            name = str(row[group])
            for outcome in OUTCOMES:
                total.add_metric([name, outcome], row[outcome])
                if row["dispositions"]:
                    rate.add_metric([name, outcome], row[outcome] / row["dispositions"])
        yield total
        yield rate


def _latency(report: HealthReport) -> Metric:
    latency = report.latency
    buckets = [(repr(le), float(n)) for le, n in latency["buckets"]]
    buckets.append(("+Inf", float(latency["count"])))
    family = HistogramMetricFamily(
        _P + "approval_latency_seconds", "Time from a proposal to each approval of it."
    )
    family.add_metric([], buckets, latency["sum_s"])
    return family


def _approvers(report: HealthReport) -> Iterator[Metric]:
    decisions = CounterMetricFamily(
        _P + "approver_decisions",
        "Approvals and denials per approver.",
        labels=["approver", "verdict"],
    )
    fast = CounterMetricFamily(
        _P + "approver_fast_approvals", "Approvals sooner than the threshold.", labels=["approver"]
    )
    blind = CounterMetricFamily(
        _P + "approver_no_evidence_approvals",
        "Approvals without opening the evidence.",
        labels=["approver"],
    )
    flags = GaugeMetricFamily(
        _P + "approver_rubber_stamp",
        "1 when a rubber-stamp signal is raised for an approver.",
        labels=["approver", "signal"],
    )
    for row in report.approvers:
        name = row["approver"]
        decisions.add_metric([name, "approve"], row["approvals"])
        decisions.add_metric([name, "deny"], row["denials"])
        fast.add_metric([name], row["fast"])
        blind.add_metric([name], row["no_evidence"])
        for signal in _FLAGS:
            flags.add_metric([name, signal], 1.0 if signal in row["flags"] else 0.0)
    yield from (decisions, fast, blind, flags)


def _alerts(report: HealthReport) -> Iterator[Metric]:
    alerts = report.alerts
    yield CounterMetricFamily(
        _P + "alerts_ingested", "Alerts ingested in the window.", value=alerts["total"]
    )
    yield GaugeMetricFamily(
        _P + "alert_rate_per_15m",
        "Decaying estimate of alerts per 15 minutes.",
        value=alerts["rate_per_15m"],
    )
    surging = any(p["end"] is None for p in alerts["spikes"])
    yield GaugeMetricFamily(
        _P + "alert_spike", "1 while an alert surge lasts.", value=1.0 if surging else 0.0
    )
