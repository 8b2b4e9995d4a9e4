"""Governance health signals for a window of days, from a folded :class:`HealthState`.

Rates of acceptance, override and rejection per agent, model and tier; the
approval latency distribution; rubber-stamp signals per approver; alert
volume and surges; drift in an agent's acceptance rate; overdue break-glass
reviews; agents whose owner left. Thresholds are :class:`HealthThresholds`
(a YAML file can set them). Computing a report costs O(days in the window +
approvals in it); the ledger is not read.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from affidavit.clock import iso as timestamp
from affidavit.oversight.health import HealthState
from affidavit.oversight.thresholds import HealthThresholds
from affidavit.oversight.window import Window

__all__ = ["OUTCOMES", "HealthReport", "HealthThresholds", "Window", "health_report"]

OUTCOMES = ("accepted", "rejected", "overridden", "modified")
LATENCY_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0, 14400.0, 86400.0)


@dataclass(frozen=True)
class HealthReport:
    """Every signal for one window, as plain data (``to_dict`` is the JSON form)."""

    window: dict[str, Any]
    rates: dict[str, list[dict[str, Any]]]
    latency: dict[str, Any]
    approvers: list[dict[str, Any]]
    alerts: dict[str, Any]
    drift: list[dict[str, Any]]
    breakglass: dict[str, Any]
    orphaned_agents: list[dict[str, Any]]
    thresholds: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def flagged_approvers(self) -> list[str]:
        return [a["approver"] for a in self.approvers if a["flags"]]


def health_report(
    state: HealthState,
    *,
    window: Window | None = None,
    thresholds: HealthThresholds | None = None,
    now: datetime,
) -> HealthReport:
    """The signals of ``window`` as of ``now`` (or the end of the window, if earlier)."""
    window = window or Window()
    thresholds = thresholds or HealthThresholds()
    end = window.end()
    as_of = min(now, end) if end is not None else now
    days = sorted(d for d in state.days if window.holds(d))
    entries = sum(sum(state.days[d].values()) for d in days)
    return HealthReport(
        window={**window.to_dict(), "as_of": timestamp(as_of), "entries": entries},
        rates=_rates(state, days),
        latency=_latency(state, days),
        approvers=_approvers(state, days, thresholds),
        alerts=_alerts(state, days, window, as_of),
        drift=_drift(state, days, thresholds),
        breakglass=_breakglass(state, days, as_of),
        orphaned_agents=_orphans(state, as_of),
        thresholds={f.name: getattr(thresholds, f.name) for f in fields(thresholds)},
    )


def _rate_row(name: str, value: str | int, counts: Counter[str]) -> dict[str, Any]:
    total = sum(counts.values())
    row: dict[str, Any] = {name: value, "dispositions": total}
    for outcome in OUTCOMES:
        row[outcome] = counts[outcome]
    row["acceptance_rate"] = counts["accepted"] / total if total else None
    row["override_rate"] = counts["overridden"] / total if total else None
    row["rejection_rate"] = counts["rejected"] / total if total else None
    return row


def _rates(state: HealthState, days: list[str]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, dict[Any, Counter[str]]] = {"agent": {}, "model": {}, "tier": {}}
    for day in days:
        for key, count in state.dispositions.get(day, {}).items():
            agent, model, tier, outcome = key.split("|")
            if agent.startswith("human:"):
                continue  # a person's own proposals are not an AI's acceptance rate
            for name, value in (("agent", agent), ("model", model), ("tier", int(tier))):
                groups[name].setdefault(value, Counter())[outcome] += count
    return {
        name: [_rate_row(name, value, counts) for value, counts in sorted(group.items())]
        for name, group in groups.items()
    }


def _percentile(ordered: list[float], fraction: float) -> float | None:
    if not ordered:
        return None
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _latency(state: HealthState, days: list[str]) -> dict[str, Any]:
    values = sorted(
        a[0]
        for day in days
        for found in state.approvals.get(day, {}).values()
        for a in found
        if a[0] is not None
    )
    buckets = [[le, bisect.bisect_right(values, le)] for le in LATENCY_BUCKETS]
    return {
        "count": len(values),
        "sum_s": sum(values),
        "p50_s": _percentile(values, 0.5),
        "p90_s": _percentile(values, 0.9),
        "p99_s": _percentile(values, 0.99),
        "max_s": values[-1] if values else None,
        "buckets": buckets,
    }


def _approvers(state: HealthState, days: list[str], th: HealthThresholds) -> list[dict[str, Any]]:
    found: dict[str, list[tuple[Any, ...]]] = {}
    denials: Counter[str] = Counter()
    for day in days:
        for approver, approvals in state.approvals.get(day, {}).items():
            found.setdefault(approver, []).extend(approvals)
        denials.update(state.denials.get(day, {}))
    rows = []
    for approver in sorted(set(found) | set(denials)):
        approvals = found.get(approver, [])
        decisions = len(approvals) + denials[approver]
        fast = [a for a in approvals if a[0] is not None and a[0] < th.fast_approval_s]
        blind = [a for a in approvals if not a[1]]
        latencies = sorted(a[0] for a in approvals if a[0] is not None)
        rate = len(approvals) / decisions if decisions else None
        flags = []
        if len(approvals) >= th.min_decisions:
            if len(fast) / len(approvals) >= th.fast_share:
                flags.append("fast")
            if len(blind) / len(approvals) >= th.no_evidence_share:
                flags.append("no_evidence")
        if decisions >= th.high_volume and rate is not None and rate >= th.always_approve_rate:
            flags.append("always_approves")
        rows.append(
            {
                "approver": approver.partition(":")[2] or approver,
                "decisions": decisions,
                "approvals": len(approvals),
                "denials": denials[approver],
                "approval_rate": rate,
                "fast": len(fast),
                "no_evidence": len(blind),
                "median_latency_s": _percentile(latencies, 0.5),
                "flags": flags,
                "entries": sorted(a[2] for a in [*fast, *blind])[:10],
            }
        )
    return rows


def _alerts(state: HealthState, days: list[str], window: Window, as_of: datetime) -> dict[str, Any]:
    per_day = [[day, state.alerts[day]] for day in days if day in state.alerts]
    moment = as_of.timestamp()
    spikes = [
        p.to_dict()
        for p in state.spike_periods(moment)
        if window.holds(p.start[:10]) or (p.end is not None and window.holds(p.end[:10]))
    ]
    return {
        "total": sum(n for _, n in per_day),
        "per_day": per_day,
        "spikes": spikes,
        "rate_per_15m": round(state.spike.rate(moment), 2),
        "threshold_per_15m": state.spike.settings.on,
    }


def _acceptance(state: HealthState, days: list[str]) -> dict[str, Counter[str]]:
    by_agent: dict[str, Counter[str]] = {}
    for day in days:
        for key, count in state.dispositions.get(day, {}).items():
            agent, _, _, outcome = key.split("|")
            if not agent.startswith("human:"):
                by_agent.setdefault(agent, Counter())[outcome] += count
    return by_agent


def _drift(state: HealthState, days: list[str], th: HealthThresholds) -> list[dict[str, Any]]:
    if not days:
        return []
    cut = (date.fromisoformat(days[-1]) - timedelta(days=th.drift_recent_days - 1)).isoformat()
    baseline = _acceptance(state, [d for d in days if d < cut])
    recent = _acceptance(state, [d for d in days if d >= cut])
    rows = []
    for agent in sorted(set(baseline) | set(recent)):
        old, new = baseline.get(agent, Counter()), recent.get(agent, Counter())
        old_n, new_n = sum(old.values()), sum(new.values())
        old_rate = old["accepted"] / old_n if old_n else None
        new_rate = new["accepted"] / new_n if new_n else None
        enough = old_n >= th.drift_min_dispositions and new_n >= th.drift_min_dispositions
        delta = new_rate - old_rate if old_rate is not None and new_rate is not None else None
        rows.append(
            {
                "agent": agent.partition(":")[2] or agent,
                "baseline_rate": old_rate,
                "baseline_dispositions": old_n,
                "recent_rate": new_rate,
                "recent_dispositions": new_n,
                "recent_from": cut,
                "delta": delta,
                "flagged": bool(enough and delta is not None and abs(delta) >= th.drift_delta),
            }
        )
    return rows


def _breakglass(state: HealthState, days: list[str], as_of: datetime) -> dict[str, Any]:
    now = timestamp(as_of)
    first, last = (days[0], days[-1]) if days else ("", "")
    invoked = [
        (pid, b) for pid, b in state.breakglass.items() if days and first <= b["time"][:10] <= last
    ]
    overdue = [
        {"proposal": pid, "invoked_by": b["by"], "due": b["due"], "entry": b["seq"]}
        for pid, b in state.breakglass.items()
        if b["reviewed"] is None and b["due"] is not None and b["due"] <= now
    ]
    return {
        "invoked": len(invoked),
        "reviewed": sum(1 for _, b in invoked if b["reviewed"] is not None),
        "reviewed_late": sum(1 for _, b in invoked if b["late"]),
        "overdue": overdue,
    }


def _orphans(state: HealthState, as_of: datetime) -> list[dict[str, Any]]:
    now = timestamp(as_of)
    found = []
    for name, identity in sorted(state.identities.items()):
        if identity["kind"] == "human" or identity["status"] == "retired":
            continue
        owner = state.identities.get(identity["owner"] or "")
        if owner is None:
            status = "unknown"
        elif owner["status"] != "active":
            status = owner["status"]
        elif owner["expires_at"] is not None and owner["expires_at"] <= now:
            status = "expired"
        else:
            continue
        owner_name = identity["owner"]
        found.append(
            {"agent": name, "owner": owner_name, "owner_status": status, "entry": identity["seq"]}
        )
    return found
