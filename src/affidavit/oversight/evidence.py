"""Evidence queries: named functions over the folded ledger that prove (or fail) a control.

A query takes the :class:`ReportContext` of one window and returns
:class:`Evidence`: ``pass``, ``gap`` or ``not_applicable``, always with an
explanation a reader can act on, and the ledger entries (sequence numbers)
that show it. Controls name queries in YAML (``oversight/controls.yaml``);
:data:`QUERIES` is the registry, and :func:`query` adds to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from affidavit.errors import InputError
from affidavit.ledger.verify import VerifyReport
from affidavit.oversight.health import HealthState
from affidavit.oversight.signals import HealthReport, Window

__all__ = ["GAP", "NOT_APPLICABLE", "PASS", "QUERIES", "Evidence", "ReportContext", "query"]

PASS, GAP, NOT_APPLICABLE = "pass", "gap", "not_applicable"
STATUSES = (PASS, GAP, NOT_APPLICABLE)
MAX_LINKS = 12


@dataclass(frozen=True)
class Evidence:
    status: str
    explanation: str
    entries: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise InputError(f"evidence status must be one of {', '.join(STATUSES)}")
        if not self.explanation.strip():
            raise InputError("evidence needs an explanation")
        object.__setattr__(self, "entries", tuple(sorted(set(self.entries)))[:MAX_LINKS])


@dataclass(frozen=True)
class ReportContext:
    """What queries read: the folded state, the window's health signals, verification."""

    state: HealthState
    health: HealthReport
    window: Window
    ledger_size: int
    checkpoint_size: int | None
    verified: VerifyReport | None
    verify_error: str | None = None
    days: tuple[str, ...] = field(default=())

    @classmethod
    def build(
        cls, state: HealthState, health: HealthReport, window: Window, **kw: Any
    ) -> ReportContext:
        days = tuple(sorted(d for d in state.days if window.holds(d)))
        return cls(state, health, window, days=days, **kw)

    def count(self, name: str) -> int:
        """How many entries of a type or mark in the window."""
        marks = self.state.marks.get(name)
        if marks is not None:
            return sum(marks[d][0] for d in self.days if d in marks)
        return sum(self.state.days[d].get(name, 0) for d in self.days)

    def links(self, *names: str) -> list[int]:
        """Example entries of marks in the window, a few from each."""
        found: list[int] = []
        for name in names:
            by_day = self.state.marks.get(name, {})
            seqs = [s for d in self.days if d in by_day for s in by_day[d][1:]]
            found.extend(seqs[:4])
        return found


Query = Callable[[ReportContext], Evidence]
QUERIES: dict[str, Query] = {}


def query(name: str) -> Callable[[Query], Query]:
    """Register an evidence query under ``name`` (controls reference it by that name)."""

    def register(fn: Query) -> Query:
        if name in QUERIES:
            raise InputError(f"evidence query {name} is registered twice")
        QUERIES[name] = fn
        return fn

    return register
