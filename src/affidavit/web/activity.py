"""What people did in the console that governance does not (yet) record: when each
person first opened a proposal, which evidence items they opened, and their
decisions with the time from first view.

Kept in this process's memory, bounded (oldest forgotten first). It feeds the
friction checks and the rubber-stamp signal; the lead's governance events are
to carry the same facts in the ledger (docs/console.md, "Limits").
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from datetime import datetime

from affidavit.web.stamp import DecisionRecord

__all__ = ["Activity"]

_MAX_VIEWS = 200_000
_MAX_DECISIONS = 500  # per person: more than any window looks at


class Activity:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first_view: OrderedDict[tuple[str, str], datetime] = OrderedDict()
        self._opened: OrderedDict[tuple[str, str], set[int]] = OrderedDict()
        self._decisions: dict[str, deque[DecisionRecord]] = {}

    def viewed(self, person: str, proposal: str, now: datetime) -> datetime:
        """Record a view of the proposal page; returns the first one."""
        key = (person, proposal)
        with self._lock:
            first = self._first_view.setdefault(key, now)
            self._first_view.move_to_end(key)
            while len(self._first_view) > _MAX_VIEWS:
                self._first_view.popitem(last=False)
            return first

    def first_view(self, person: str, proposal: str) -> datetime | None:
        with self._lock:
            return self._first_view.get((person, proposal))

    def opened(self, person: str, proposal: str, item: int) -> None:
        key = (person, proposal)
        with self._lock:
            self._opened.setdefault(key, set()).add(item)
            self._opened.move_to_end(key)
            while len(self._opened) > _MAX_VIEWS:
                self._opened.popitem(last=False)

    def opened_items(self, person: str, proposal: str) -> frozenset[int]:
        with self._lock:
            return frozenset(self._opened.get((person, proposal), ()))

    def decided(self, person: str, proposal: str, verdict: str, now: datetime) -> DecisionRecord:
        with self._lock:
            first = self._first_view.get((person, proposal))
            record = DecisionRecord(
                proposal=proposal,
                decided_at=now,
                verdict=verdict,
                seconds_from_first_view=None
                if first is None
                else max(0.0, (now - first).total_seconds()),
                evidence_opened=bool(self._opened.get((person, proposal))),
            )
            self._decisions.setdefault(person, deque(maxlen=_MAX_DECISIONS)).append(record)
            return record

    def decisions(self, person: str) -> list[DecisionRecord]:
        with self._lock:
            return list(self._decisions.get(person, ()))
