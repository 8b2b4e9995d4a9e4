"""Friction from the ledger's tables: evidence items opened, the time from a person's
first view to their decision, their recent decisions, and the rubber-stamp signal
ledgered when it is shown to them.

The commands (``open_evidence_item``, ``signal_rubber_stamp``) check and emit; the
queries read the projected tables and the ledger's entry times. :class:`FrictionOps`
is mixed into the Governor, so every path reaches them the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection, func, select, union_all

from affidavit.clock import iso, parse_iso
from affidavit.errors import InputError
from affidavit.governance import _tables as t
from affidavit.governance import proposals as p
from affidavit.governance.configuration import Configuration
from affidavit.governance.events import EvidenceItemOpened, RubberStampSignalled
from affidavit.governance.friction import (
    DecisionRecord,
    FrictionRules,
    StampRules,
    StampSignal,
    rubber_stamp,
)
from affidavit.governance.identities import Identity
from affidavit.ledger.batch import Batch
from affidavit.ledger.log import Ledger
from affidavit.policy import Catalog
from affidavit.store.schema import ledger_entries

__all__ = [
    "FrictionOps",
    "first_view",
    "open_evidence_item",
    "opened_items",
    "recent_decisions",
    "seconds_from_first_view",
    "signal_rubber_stamp",
]

T = TypeVar("T")
_MAX_DECISIONS = 500  # per person and window: more than any threshold looks at


def open_evidence_item(
    batch: Batch, proposal_id: str, viewer: Identity, item: int, now: datetime
) -> str:
    """Record that ``viewer`` opened evidence item ``item`` (once per person and item);
    returns the item's reference."""
    proposal = p.load(batch.conn, proposal_id, now)
    if type(item) is not int or not 0 <= item < len(proposal.evidence):
        count = len(proposal.evidence)
        raise InputError(
            f"proposal {proposal_id} cites {count} evidence item{'' if count == 1 else 's'}"
            + (f": give an index from 0 to {count - 1}" if count else "")
        )
    o = t.evidence_items_opened
    seen = batch.conn.execute(
        select(o.c.seq).where(
            o.c.proposal_id == proposal_id, o.c.identity_id == viewer.id, o.c.item == item
        )
    ).first()
    if not seen:
        batch.emit(
            EvidenceItemOpened(
                actor=viewer.actor,
                case=proposal.case_id,
                proposal=proposal_id,
                item=item,
                reference=proposal.evidence[item],
            )
        )
    return proposal.evidence[item]


def opened_items(conn: Connection, proposal_id: str, person: str) -> frozenset[int]:
    o = t.evidence_items_opened
    rows = conn.execute(
        select(o.c.item).where(o.c.proposal_id == proposal_id, o.c.identity_id == person)
    )
    return frozenset(int(r.item) for r in rows)


def first_view(conn: Connection, proposal_id: str, person: str) -> datetime | None:
    """When ``person`` first viewed the proposal's evidence (the list or an item)."""
    v, o = t.evidence_views, t.evidence_items_opened
    seqs = union_all(
        select(v.c.seq).where(v.c.proposal_id == proposal_id, v.c.identity_id == person),
        select(o.c.seq).where(o.c.proposal_id == proposal_id, o.c.identity_id == person),
    ).subquery()
    found = conn.execute(
        select(func.min(ledger_entries.c.time)).where(ledger_entries.c.seq.in_(select(seqs.c.seq)))
    ).scalar_one()
    return None if found is None else parse_iso(str(found))


def seconds_from_first_view(
    conn: Connection, proposal_id: str, person: str, now: datetime
) -> float | None:
    first = first_view(conn, proposal_id, person)
    if first is None:
        return None
    return round(max(0.0, (now - first).total_seconds()), 3)


def recent_decisions(conn: Connection, person: str, since: datetime) -> list[DecisionRecord]:
    """``person``'s decisions recorded at or after ``since``, oldest first, as the
    rubber-stamp rule reads them (timing from each approval entry)."""
    a, e, o = t.approvals, ledger_entries, t.evidence_items_opened
    opened = (
        select(o.c.item)
        .where(o.c.proposal_id == a.c.proposal_id, o.c.identity_id == a.c.approver_id)
        .exists()
    )
    rows = conn.execute(
        select(a.c.proposal_id, a.c.verdict, e.c.time, e.c.entry, opened.label("opened"))
        .join(e, e.c.seq == a.c.seq)
        .where(a.c.approver_id == person, e.c.time >= iso(since))
        .order_by(a.c.seq.desc())
        .limit(_MAX_DECISIONS)
    ).all()
    found = []
    for r in reversed(rows):
        seconds = json.loads(bytes(r.entry))["body"].get("seconds_from_first_view")
        found.append(
            DecisionRecord(
                proposal=r.proposal_id,
                decided_at=parse_iso(r.time),
                verdict=r.verdict,
                seconds_from_first_view=None if seconds is None else float(seconds),
                evidence_opened=bool(r.opened),
            )
        )
    return found


def signal_rubber_stamp(
    batch: Batch, proposal_id: str, person: Identity, signal: StampSignal, now: datetime
) -> None:
    """Ledger that ``signal`` was shown to ``person`` on ``proposal_id`` (once per pair)."""
    s = t.stamp_signals
    seen = batch.conn.execute(
        select(s.c.seq).where(s.c.identity_id == person.id, s.c.proposal_id == proposal_id)
    ).first()
    if seen:
        return
    proposal = p.load(batch.conn, proposal_id, now)
    batch.emit(
        RubberStampSignalled(
            actor=person.actor,
            case=proposal.case_id,
            proposal=proposal_id,
            decisions=signal.decisions,
            approvals=signal.approvals,
            fast=signal.fast,
            approvals_without_evidence=signal.approvals_without_evidence,
            median_seconds=signal.median_seconds,
            reasons=signal.reasons,
        )
    )


class FrictionOps:
    """The Governor's friction side (mixed into :class:`Governor`)."""

    ledger: Ledger
    _friction: FrictionRules | None

    if TYPE_CHECKING:  # the Governor's

        @property
        def catalog(self) -> Catalog: ...  # the published configuration's

        def configuration(self) -> Configuration: ...

        def authenticate(self, token: str | None) -> Identity: ...
        def _write(self, command: Callable[[Batch], T], *, now: datetime) -> T: ...
        def clock(self) -> datetime: ...

    def friction_rules(self) -> FrictionRules:
        """The friction rules in force: the one accessor every path reads them through.
        They are the published configuration's, unless the program embedding the
        Governor gave its own."""
        if self._friction is not None:
            return self._friction
        config = self.configuration()
        stamp = config.rubber_stamp
        return FrictionRules(
            evidence_tier=config.evidence_required_tier,
            rationale_tier=config.rationale_required_tier,
            stamp=StampRules(
                fast_s=stamp.fast_seconds,
                min_decisions=stamp.min_decisions,
                approval_rate=stamp.approval_rate,
                window_s=stamp.window_hours * 3600,
            ),
        )

    def tier(self, action: str) -> int:
        """An action's blast-radius tier (0 for an action the catalog no longer knows)."""
        return self.catalog.get(action).tier if action in self.catalog else 0

    def open_evidence(self, token: str | None, proposal_id: str, item: int) -> str:
        """Open one evidence item: records the view (approvals of tier 2 and above need
        one); returns the item's reference."""
        viewer = self.authenticate(token)
        now = self.clock()
        return self._write(lambda b: open_evidence_item(b, proposal_id, viewer, item, now), now=now)

    def evidence_opened(self, person: str, proposal_id: str) -> frozenset[int]:
        """The indexes of the evidence items ``person`` opened on the proposal."""
        with self.ledger.db.read() as conn:
            return opened_items(conn, proposal_id, person)

    def first_view(self, person: str, proposal_id: str) -> datetime | None:
        with self.ledger.db.read() as conn:
            return first_view(conn, proposal_id, person)

    def rubber_stamp(self, token: str | None, proposal_id: str) -> StampSignal | None:
        """The rubber-stamp signal for the caller about to decide ``proposal_id``, or None.
        Asking is showing: a signal is ledgered (once per person and proposal)."""
        person = self.authenticate(token)
        now = self.clock()
        rules = self.friction_rules().stamp
        with self.ledger.db.read() as conn:
            since = now - timedelta(seconds=rules.window_s)
            signal = rubber_stamp(recent_decisions(conn, person.id, since), now, rules)
        if signal is not None:
            self._write(lambda b: signal_rubber_stamp(b, proposal_id, person, signal, now), now=now)
        return signal
