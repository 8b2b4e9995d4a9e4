"""The approval queue as this process's projection of the ledger's proposal events.

Loaded once from the Governor (pending proposals, a page at a time), then kept
current from ``Governor.proposal_events`` (the feed /v1/events streams) before
every read, so a page shows every node's changes without scanning the
proposals table per request. Sorting 10,000 pending proposals by expiry and
blast radius happens once per change, not per request.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from affidavit.errors import AffidavitError
from affidavit.governance.governor import Governor
from affidavit.governance.proposals import Proposal
from affidavit.web._format import iso

__all__ = ["QueueIndex", "QueueItem", "QueuePage"]

_PAGE = 1000
_OWNER_TTL_S = 30.0
_NO_EXPIRY = "9999"


@dataclass(frozen=True)
class QueueItem:
    id: str
    case: str
    proposer: str
    action: str
    target: str
    tier: int
    expires_at: str | None
    created_at: str
    seq: int
    approvals_required: int
    approver_roles: tuple[str, ...]

    @property
    def sort_key(self) -> tuple[str, int, int]:
        """Soonest expiry first; among equals, the widest blast radius first."""
        return (self.expires_at or _NO_EXPIRY, -self.tier, self.seq)


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int
    matching: int
    cases: list[str]
    agents: list[str]
    tiers: list[int]


class QueueIndex:
    def __init__(self, gov: Governor) -> None:
        self._gov = gov
        self._lock = threading.Lock()
        self._items: dict[str, QueueItem] = {}
        self._position: int | None = None
        self._sorted: list[QueueItem] | None = None
        self._expiries: list[str] = []
        self._facets: tuple[tuple[int, int], tuple[list[str], list[str], list[int]]] | None = None
        self.version = 0
        """Bumped on every change of the pending set (a cache key for rendered rows)."""
        self._criticality: dict[str, str] = {}
        self._owners: dict[str, tuple[float, str | None]] = {}

    def _item(self, p: Proposal) -> QueueItem:
        tier = self._gov.catalog.get(p.action).tier if p.action in self._gov.catalog else 0
        return QueueItem(
            id=p.id,
            case=p.case_id,
            proposer=p.proposer_id,
            action=p.action,
            target=p.target,
            tier=tier,
            expires_at=p.expires_at,
            created_at=p.created_at,
            seq=p.seq,
            approvals_required=p.approvals_required,
            approver_roles=p.approver_roles,
        )

    def refresh(self) -> None:
        """Catch up with the ledger (blocking: call from a worker thread)."""
        with self._lock:
            if self._position is None:
                self._load()
            while True:
                assert self._position is not None
                events = self._gov.proposal_events(after=self._position, limit=_PAGE)
                self._apply(events)
                if len(events) < _PAGE:
                    return

    def _load(self) -> None:
        position = self._gov.ledger.size() - 1
        after: int | None = None
        while True:
            found = self._gov.proposals_page(after=after, limit=_PAGE, status="pending_approval")
            for p in found:
                self._items[p.id] = self._item(p)
            if len(found) < _PAGE:
                break
            after = found[-1].seq
        self._position = position
        self._changed()

    def _apply(self, events: Sequence[dict[str, Any]]) -> None:
        for event in events:
            self._position = int(event["seq"])
            pid = str(event["proposal"])
            if event["status"] == "pending_approval":
                if pid not in self._items:
                    self._items[pid] = self._item(self._gov.proposal(pid))
                    self._changed()
            elif self._items.pop(pid, None) is not None:
                self._changed()

    def _changed(self) -> None:
        self._sorted = None
        self.version += 1

    def page(
        self,
        now: datetime,
        *,
        case: str | None = None,
        agent: str | None = None,
        tier: int | None = None,
        limit: int = 100,
    ) -> QueuePage:
        with self._lock:
            if self._sorted is None:
                self._sorted = sorted(self._items.values(), key=lambda i: i.sort_key)
                self._expiries = [i.sort_key[0] for i in self._sorted]
            ordered, expiries, version = self._sorted, self._expiries, self.version
        # Sorted by expiry first: the expired ones are a prefix, found by bisection.
        first = bisect.bisect_right(expiries, iso(now))
        live = ordered[first:]
        if case is None and agent is None and tier is None:
            matching = live
        else:
            matching = [
                i
                for i in live
                if (case is None or i.case == case)
                and (agent is None or i.proposer == agent)
                and (tier is None or i.tier == tier)
            ]
        cases, agents, tiers = self._facet_values((version, first), live)
        return QueuePage(
            items=matching[:limit],
            total=len(live),
            matching=len(matching),
            cases=cases,
            agents=agents,
            tiers=tiers,
        )

    def _facet_values(
        self, key: tuple[int, int], live: list[QueueItem]
    ) -> tuple[list[str], list[str], list[int]]:
        """The filter choices, recomputed only when the pending set or the expired prefix
        changes."""
        cached = self._facets
        if cached is not None and cached[0] == key:
            return cached[1]
        values = (
            sorted({i.case for i in live}),
            sorted({i.proposer for i in live}),
            sorted({i.tier for i in live}),
        )
        self._facets = (key, values)
        return values

    def criticality(self, item: QueueItem) -> str:
        """The target's criticality as policy saw it when deciding (from the ledger entry)."""
        known = self._criticality.get(item.id)
        if known is None:
            try:
                body = self._gov.ledger.entry(item.seq).json()["body"]
                targets = body["decision_inputs"]["targets"]
                known = str(targets[0]["criticality"]) if targets else "unknown"
            except (AffidavitError, KeyError, IndexError, TypeError):
                known = "unknown"
            self._criticality[item.id] = known
        return known

    def owner(self, identity_id: str) -> str | None:
        """The accountable owner of an agent (None for a person), cached briefly."""
        cached = self._owners.get(identity_id)
        if cached is not None and time.monotonic() - cached[0] < _OWNER_TTL_S:
            return cached[1]
        try:
            owner = self._gov.identity(identity_id).owner
        except AffidavitError:
            owner = None
        self._owners[identity_id] = (time.monotonic(), owner)
        return owner
