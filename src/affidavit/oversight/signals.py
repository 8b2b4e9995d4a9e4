"""Governance health signals for a window of days, from a folded :class:`HealthState`.

Rates of acceptance, override and rejection per agent, model and tier; the
approval latency distribution; rubber-stamp signals per approver; alert
volume and surges; drift in an agent's acceptance rate; overdue break-glass
reviews; agents whose owner left. Thresholds are :class:`HealthThresholds`
(a YAML file can set them). Computing a report costs O(days in the window +
approvals in it); the ledger is not read.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from affidavit.errors import InputError
from affidavit.ledger.entry import timestamp
from affidavit.oversight.health import HealthState

__all__ = ["OUTCOMES", "HealthReport", "HealthThresholds", "Window", "health_report"]

OUTCOMES = ("accepted", "rejected", "overridden", "modified")
LATENCY_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0, 14400.0, 86400.0)


@dataclass(frozen=True)
class HealthThresholds:
    """When a signal is raised. Shares and rates are fractions in [0, 1]."""

    fast_approval_s: float = 30.0
    """An approval sooner than this after the proposal is fast."""
    fast_share: float = 0.5
    """Flag an approver when at least this share of their approvals is fast."""
    no_evidence_share: float = 0.5
    """Flag an approver when at least this share of their approvals opened no evidence."""
    always_approve_rate: float = 0.98
    """Flag an approver who approves at least this share of their decisions ..."""
    high_volume: int = 20
    """... when they decided at least this many in the window."""
    min_decisions: int = 5
    """Fewer approvals than this raise no fast or no-evidence flag (too few to tell)."""
    drift_recent_days: int = 7
    """The recent window of the drift signal: the last N days of the report window."""
    drift_min_dispositions: int = 10
    """Dispositions needed in both the recent and the baseline window to compare."""
    drift_delta: float = 0.2
    """Flag an agent whose acceptance rate moved by at least this much."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"threshold {f.name} must be a number")
            if not math.isfinite(value) or value < 0:
                raise InputError(f"threshold {f.name} must be a finite number >= 0")
            if f.name.endswith(("_share", "_rate", "_delta")) and value > 1:
                raise InputError(f"threshold {f.name} is a fraction between 0 and 1")
            if f.type in ("int", int) and value != int(value):
                raise InputError(f"threshold {f.name} must be a whole number")

    @classmethod
    def load(cls, path: Path) -> HealthThresholds:
        """Thresholds from a YAML mapping of the names above (others keep their defaults)."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            raise InputError(f"cannot read thresholds from {path.name}: not a YAML file") from None
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise InputError("a thresholds file is a YAML mapping of threshold names to numbers")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise InputError(f"unknown thresholds: {', '.join(unknown)[:200]}")
        return cls(**data)


@dataclass(frozen=True)
class Window:
    """Whole UTC days, both ends included; None leaves that end open."""

    first: date | None = None
    last: date | None = None

    def __post_init__(self) -> None:
        if self.first and self.last and self.first > self.last:
            raise InputError("--from must not be later than --to")

    @classmethod
    def parse(cls, first: str | None, last: str | None) -> Window:
        return cls(_day(first, "--from"), _day(last, "--to"))

    def holds(self, day: str) -> bool:
        return (self.first is None or day >= self.first.isoformat()) and (
            self.last is None or day <= self.last.isoformat()
        )

    def end(self) -> datetime | None:
        """The first moment after the window."""
        if self.last is None:
            return None
        return datetime.combine(self.last + timedelta(days=1), datetime.min.time(), UTC)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "from": None if self.first is None else self.first.isoformat(),
            "to": None if self.last is None else self.last.isoformat(),
        }


def _day(text: str | None, what: str) -> date | None:
    if text is None or text == "":
        return None
    if not isinstance(text, str) or len(text) != 10:
        raise InputError(f"{what} must be a date like 2026-12-01")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what} must be a date like 2026-12-01") from None


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
    buckets = [[le, sum(1 for v in values if v <= le)] for le in LATENCY_BUCKETS]
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
    found: dict[str, list[list[Any]]] = {}
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
