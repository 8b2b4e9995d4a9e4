"""The series the report's charts draw, shared by the HTML and PDF renderers."""

from __future__ import annotations

from dataclasses import dataclass

from affidavit.oversight.evidence import GAP, NOT_APPLICABLE, PASS
from affidavit.oversight.report import ComplianceReport

__all__ = ["Chart", "report_charts"]

STATUS_COLOURS = {PASS: "#2e7d32", GAP: "#c62828", NOT_APPLICABLE: "#9e9e9e"}
OUTCOME_COLOURS = {
    "accepted": "#2e7d32",
    "modified": "#f9a825",
    "overridden": "#ef6c00",
    "rejected": "#c62828",
}


@dataclass(frozen=True)
class Chart:
    """Stacked bars: one value per category in each series."""

    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, str, tuple[float, ...]], ...]
    """(name, colour, values)."""
    unit: str = ""

    @property
    def top(self) -> float:
        totals = [
            sum(values[i] for _, _, values in self.series) for i in range(len(self.categories))
        ]
        return max(totals, default=0.0)


def _status(report: ComplianceReport) -> Chart:
    grouped = report.by_framework()
    names = tuple(grouped)
    return Chart(
        "Controls by framework",
        tuple(_short(n) for n in names),
        tuple(
            (
                status.replace("_", " "),
                colour,
                tuple(float(sum(r.status == status for r in grouped[n])) for n in names),
            )
            for status, colour in STATUS_COLOURS.items()
        ),
        "controls",
    )


def _outcomes(report: ComplianceReport) -> Chart:
    rows = report.health.rates["agent"]
    return Chart(
        "Dispositions of AI recommendations by agent",
        tuple(str(r["agent"]).partition(":")[2] for r in rows),
        tuple((o, c, tuple(float(r[o]) for r in rows)) for o, c in OUTCOME_COLOURS.items()),
        "dispositions",
    )


def _latency(report: ComplianceReport) -> Chart:
    buckets = report.health.latency["buckets"]
    labels, counts, below = [], [], 0
    for le, cumulative in buckets:
        labels.append(f"<={_duration(le)}")
        counts.append(float(cumulative - below))
        below = cumulative
    labels.append(">1d")
    counts.append(float(report.health.latency["count"] - below))
    return Chart(
        "Approval latency (proposal to approval)",
        tuple(labels),
        (("approvals", "#1565c0", tuple(counts)),),
        "approvals",
    )


def _alerts(report: ComplianceReport) -> Chart:
    alerts = report.health.alerts
    surge_days = {s["start"][:10] for s in alerts["spikes"]}
    days = tuple(day for day, _ in alerts["per_day"])
    counts = [float(n) for _, n in alerts["per_day"]]
    return Chart(
        "Alerts ingested per day (red: a surge began)",
        tuple(d[5:] for d in days),
        (
            (
                "alerts",
                "#1565c0",
                tuple(0.0 if d in surge_days else n for d, n in zip(days, counts, strict=True)),
            ),
            (
                "surge day",
                "#c62828",
                tuple(n if d in surge_days else 0.0 for d, n in zip(days, counts, strict=True)),
            ),
        ),
        "alerts",
    )


def report_charts(report: ComplianceReport) -> list[Chart]:
    return [_status(report), _outcomes(report), _latency(report), _alerts(report)]


def _short(framework: str) -> str:
    return framework.replace("OWASP Top 10 for Agentic Applications", "OWASP Agentic")


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"
