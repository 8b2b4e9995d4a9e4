"""Governance health figures, computed from ledger entries in one pass.

Temporary home: ``affidavit.oversight`` gains health signals on another branch;
when it lands, the dashboard should read ``oversight.health`` instead of this
module (docs/console.md). The pass is O(ledger); results are cached briefly.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from affidavit.governance import events as ev
from affidavit.governance.governor import Governor
from affidavit.web._format import parse

__all__ = ["Health", "compute_health", "health"]

_CACHE_S = 10.0
_BUCKET_S = 15 * 60
OUTCOMES = ("accepted", "modified", "overridden", "rejected")


@dataclass
class Health:
    outcomes: dict[str, Counter[str]] = field(default_factory=dict)  # "agent · Tn" -> outcome
    latencies_s: list[float] = field(default_factory=list)
    approvals: Counter[str] = field(default_factory=Counter)  # approver -> approvals
    unread: Counter[str] = field(default_factory=Counter)  # approver -> approvals, no evidence
    alerts: dict[datetime, int] = field(default_factory=dict)  # 15-min bucket -> count
    spike_threshold: int = 0
    overdue: list[dict[str, Any]] = field(default_factory=list)
    proposals: int = 0
    entries: int = 0

    @property
    def spikes(self) -> list[datetime]:
        return [b for b, n in sorted(self.alerts.items()) if n > self.spike_threshold]


def _bucket(moment: datetime) -> datetime:
    stamp = int(moment.timestamp())
    return datetime.fromtimestamp(stamp - stamp % _BUCKET_S, moment.tzinfo)


def compute_health(gov: Governor) -> Health:
    found = Health(spike_threshold=gov.configuration().spike_alerts_per_15m)
    proposals: dict[str, tuple[str, int, datetime | None]] = {}  # id -> agent, tier, created
    viewed: set[tuple[str, str]] = set()  # (actor, proposal)
    alerts: Counter[datetime] = Counter()
    for stored in gov.ledger.entries():
        found.entries += 1
        kind = stored.type
        if kind not in _WANTED:
            continue
        when = parse(stored.time)
        if kind == ev.AlertIngested.type:
            if when is not None:
                alerts[_bucket(when)] += 1
            continue
        body = stored.json()["body"]
        if kind == ev.ProposalCreated.type:
            prop = body["proposal"]
            action = prop["action"]
            tier = gov.catalog.get(action).tier if action in gov.catalog else 0
            proposals[prop["id"]] = (prop["proposer"], tier, when)
        elif kind == ev.EvidenceViewed.type:
            viewed.add((stored.actor, body["proposal"]))
        elif kind == ev.ApprovalGranted.type:
            pid = body["proposal"]
            who = stored.actor.split(":", 1)[-1]
            found.approvals[who] += 1
            if (stored.actor, pid) not in viewed:
                found.unread[who] += 1
            created = proposals.get(pid, ("", 0, None))[2]
            if created is not None and when is not None:
                found.latencies_s.append(max(0.0, (when - created).total_seconds()))
        elif kind == ev.DispositionRecorded.type:
            agent, tier, _ = proposals.get(body["proposal"], ("unknown", 0, None))
            found.outcomes.setdefault(f"{agent} · T{tier}", Counter())[body["outcome"]] += 1
    found.proposals = len(proposals)
    found.alerts = dict(sorted(alerts.items()))
    found.overdue = gov.breakglass_reviews(overdue_only=True)
    return found


_WANTED = frozenset(
    {
        ev.AlertIngested.type,
        ev.ProposalCreated.type,
        ev.EvidenceViewed.type,
        ev.ApprovalGranted.type,
        ev.DispositionRecorded.type,
    }
)
_cache: dict[int, tuple[float, Health]] = {}
_lock = threading.Lock()


def health(gov: Governor) -> Health:
    """``compute_health`` cached for a few seconds per Governor."""
    with _lock:
        hit = _cache.get(id(gov))
        if hit is not None and time.monotonic() - hit[0] < _CACHE_S:
            return hit[1]
    value = compute_health(gov)
    with _lock:
        _cache[id(gov)] = (time.monotonic(), value)
    return value


def figures(h: Health) -> dict[str, dict[str, Any]]:
    """Plotly figure specs (plain JSON; the browser's plotly.js draws them)."""
    layout = {
        "margin": {"l": 60, "r": 20, "t": 10, "b": 80},
        "font": {"family": "system-ui, sans-serif", "size": 12, "color": "#1b1f24"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "y": -0.25},
    }
    groups = sorted(h.outcomes)
    colors = {
        "accepted": "#17663a",
        "modified": "#0b5cad",
        "overridden": "#a86400",
        "rejected": "#a4161a",
    }
    outcomes = {
        "data": [
            {
                "type": "bar",
                "name": o,
                "x": groups,
                "y": [h.outcomes[g][o] for g in groups],
                "marker": {"color": colors[o]},
            }
            for o in OUTCOMES
        ],
        "layout": {**layout, "barmode": "stack", "yaxis": {"title": {"text": "dispositions"}}},
    }
    latency = {
        "data": [
            {
                "type": "histogram",
                "x": [round(s / 60, 2) for s in h.latencies_s],
                "marker": {"color": "#0b5cad"},
                "name": "approvals",
            }
        ],
        "layout": {
            **layout,
            "xaxis": {"title": {"text": "minutes from proposal to approval"}},
            "yaxis": {"title": {"text": "approvals"}},
        },
    }
    people = sorted(h.approvals)
    unread = {
        "data": [
            {
                "type": "bar",
                "name": "evidence opened",
                "x": people,
                "y": [h.approvals[p] - h.unread[p] for p in people],
                "marker": {"color": "#17663a"},
            },
            {
                "type": "bar",
                "name": "no evidence opened",
                "x": people,
                "y": [h.unread[p] for p in people],
                "marker": {"color": "#a4161a"},
            },
        ],
        "layout": {**layout, "barmode": "stack", "yaxis": {"title": {"text": "approvals"}}},
    }
    buckets = list(h.alerts)
    alerts = {
        "data": [
            {
                "type": "bar",
                "name": "alerts per 15 minutes",
                "x": [b.isoformat() for b in buckets],
                "y": [h.alerts[b] for b in buckets],
                "marker": {
                    "color": [
                        "#a4161a" if h.alerts[b] > h.spike_threshold else "#0b5cad" for b in buckets
                    ]
                },
            },
        ],
        "layout": {
            **layout,
            "yaxis": {"title": {"text": "alerts"}},
            "shapes": [
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": h.spike_threshold,
                    "y1": h.spike_threshold,
                    "line": {"color": "#a86400", "dash": "dash"},
                }
            ],
        },
    }
    return {"outcomes": outcomes, "latency": latency, "unread": unread, "alerts": alerts}
