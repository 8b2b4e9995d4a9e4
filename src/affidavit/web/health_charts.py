"""The health dashboard's charts: plotly figure specs (plain JSON) drawn from an
:class:`affidavit.oversight.signals.HealthReport`, the same figures the oversight
report and ``affidavit oversight`` compute. Nothing here reads the ledger."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from affidavit.oversight.signals import LATENCY_BUCKETS, OUTCOMES, HealthReport

__all__ = ["figures", "latency_label"]

COLOURS = {
    "accepted": "#17663a",
    "modified": "#0b5cad",
    "overridden": "#a86400",
    "rejected": "#a4161a",
}
_LAYOUT: dict[str, Any] = {
    "margin": {"l": 60, "r": 20, "t": 10, "b": 70},
    "font": {"family": "system-ui, sans-serif", "size": 12, "color": "#1b1f24"},
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#ffffff",
    "legend": {"orientation": "h", "y": -0.22},
    "bargap": 0.25,
}


def latency_label(seconds: float) -> str:
    """A latency bucket's upper bound in words a person reads at a glance."""
    if seconds < 60:
        return f"≤ {seconds:g} s"
    if seconds < 3600:
        return f"≤ {seconds / 60:g} min"
    if seconds < 86400:
        return f"≤ {seconds / 3600:g} h"
    return f"≤ {seconds / 86400:g} d"


def _category_axis(title: str) -> dict[str, Any]:
    return {"type": "category", "title": {"text": title}, "automargin": True}


def _count_axis(title: str, top: float) -> dict[str, Any]:
    """Whole counts: one tick per unit while few (never 1, 1, 2, 2 from rounded halves)."""
    axis: dict[str, Any] = {"title": {"text": title}, "rangemode": "tozero", "automargin": True}
    axis.update({"dtick": 1} if top <= 10 else {"tickformat": ",d"})
    return axis


def _stacked_top(data: list[dict[str, Any]]) -> float:
    return max((sum(v) for v in zip(*(d["y"] for d in data), strict=True)), default=0)


def _outcomes(report: HealthReport) -> dict[str, Any]:
    rows = [(r["agent"].partition(":")[2] or r["agent"], r) for r in report.rates["agent"]]
    rows += [(f"tier {r['tier']}", r) for r in report.rates["tier"]]
    groups = [name for name, _ in rows]
    data = [
        {
            "type": "bar",
            "name": o,
            "x": groups,
            "y": [r[o] for _, r in rows],
            "marker": {"color": COLOURS[o]},
        }
        for o in OUTCOMES
    ]
    return {
        "data": data,
        "layout": {
            **_LAYOUT,
            "barmode": "stack",
            "xaxis": _category_axis("agent, then tier"),
            "yaxis": _count_axis("dispositions", _stacked_top(data)),
        },
    }


def _latency(report: HealthReport) -> dict[str, Any]:
    cumulative = [count for _, count in report.latency["buckets"]]
    per_bucket = [n - (cumulative[i - 1] if i else 0) for i, n in enumerate(cumulative)]
    labels = [latency_label(le) for le in LATENCY_BUCKETS]
    beyond = report.latency["count"] - (cumulative[-1] if cumulative else 0)
    if beyond:
        per_bucket.append(beyond)
        labels.append(f"> {latency_label(LATENCY_BUCKETS[-1])[2:]}")
    return {
        "data": [
            {
                "type": "bar",
                "x": labels,
                "y": per_bucket,
                "marker": {"color": "#0b5cad"},
                "name": "approvals",
            }
        ],
        "layout": {
            **_LAYOUT,
            "xaxis": _category_axis("time from proposal to approval"),
            "yaxis": _count_axis("approvals", max(per_bucket, default=0)),
        },
    }


def _unread(report: HealthReport) -> dict[str, Any]:
    people = [r for r in report.approvers if r["approvals"]]
    names = [r["approver"] for r in people]
    data = [
        {
            "type": "bar",
            "name": "evidence opened",
            "x": names,
            "y": [r["approvals"] - r["no_evidence"] for r in people],
            "marker": {"color": "#17663a"},
        },
        {
            "type": "bar",
            "name": "no evidence opened",
            "x": names,
            "y": [r["no_evidence"] for r in people],
            "marker": {"color": "#a4161a"},
        },
    ]
    return {
        "data": data,
        "layout": {
            **_LAYOUT,
            "barmode": "stack",
            "xaxis": _category_axis("approver"),
            "yaxis": _count_axis("approvals", _stacked_top(data)),
        },
    }


def _alerts(report: HealthReport) -> dict[str, Any]:
    """Alerts per day on a date axis (days, never microseconds); spike periods shaded."""
    per_day = report.alerts["per_day"]
    days = [d for d, _ in per_day]
    spikes = report.alerts["spikes"]
    shapes = [
        {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": s["start"][:19].replace("T", " "),
            "x1": (s["end"] or report.window["as_of"])[:19].replace("T", " "),
            "y0": 0,
            "y1": 1,
            "fillcolor": "rgba(164, 22, 26, 0.18)",
            "line": {"width": 0},
            "layer": "below",
        }
        for s in spikes
    ]
    xaxis: dict[str, Any] = {
        "type": "date",
        "title": {"text": "day (UTC); shaded: alert spike periods"},
        "tickformat": "%d %b",
        "dtick": 86400000,
        "ticklabelmode": "period",  # a day's label sits under its bar
        "automargin": True,
    }
    if days:  # at least a week wide, so one day of data is one readable bar
        first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
        if (last - first).days < 6:
            first = last - timedelta(days=6)
        xaxis["range"] = [f"{first} 00:00", f"{last + timedelta(days=1)} 00:00"]
    return {
        "data": [
            {
                "type": "bar",
                "name": "alerts per day",
                "x": [f"{d} 12:00" for d in days],  # each bar spans its day
                "y": [n for _, n in per_day],
                "width": [0.8 * 86400000] * len(days),  # milliseconds, on a date axis
                "marker": {"color": "#0b5cad"},
                "hovertemplate": "%{x|%d %b %Y}: %{y} alerts<extra></extra>",
            }
        ],
        "layout": {
            **_LAYOUT,
            "showlegend": False,
            "xaxis": xaxis,
            "yaxis": _count_axis("alerts", max((n for _, n in per_day), default=0)),
            "shapes": shapes,
        },
    }


def figures(report: HealthReport) -> dict[str, dict[str, Any]]:
    return {
        "outcomes": _outcomes(report),
        "latency": _latency(report),
        "unread": _unread(report),
        "alerts": _alerts(report),
    }
