"""Governance health, folded from ledger entries one at a time.

:class:`HealthState` reads nothing but ledger entries. Each entry costs O(1):
a dictionary update or two, and a JSON parse only for the entry types it
uses. Everything is kept per UTC day, so a report for any window of days
(:mod:`affidavit.oversight.signals`) is computed from the folded state
without reading the ledger again, and the state carries its ``position``
(the next sequence number to read): :meth:`HealthState.catch_up` folds only
the entries appended since, so keeping it current costs O(new entries).

What is kept, in JSON-ready form (saved by :mod:`affidavit.oversight.snapshot`):
proposals (agent, model, tier, created time), steps (agent, model), who
viewed which proposal's evidence, the final disposition of each proposal,
every approval (latency, evidence opened or not, entry), alert counts and
the spike detector, break-glass invocations and reviews, identities and
owners, and "marks": per named fact and day, a count and the first entries
that show it (the links of the compliance report).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from affidavit.errors import InputError
from affidavit.governance import events as ev
from affidavit.ledger.entry import StoredEntry
from affidavit.ledger.reader import LedgerReader
from affidavit.oversight import entry_types as et
from affidavit.oversight.spike import SpikeDetector, SpikePeriod, SpikeSettings, ledger_seconds

__all__ = ["SAMPLES_PER_DAY", "SAVED_FIELDS", "HealthState"]

SAMPLES_PER_DAY = 3
"""Entries kept per mark and day as links (the count is exact)."""
# Per-proposal, per-step and per-approval records are tuples of atoms: the cyclic garbage
# collector stops tracking those, so a state of millions of them does not slow every
# later collection (and so every incremental fold) down.
SAVED_FIELDS = (
    "position",
    "last_leaf",
    "days",
    "marks",
    "proposals",
    "steps",
    "views",
    "authorized",
    "final",
    "dispositions",
    "approvals",
    "denials",
    "alerts",
    "breakglass",
    "identities",
    "bundles_published",
    "bundles_used",
    "actors",
)
"""The fields of a :class:`HealthState` that a snapshot keeps (with the spike detector)."""
_NO_MODEL = "-"
_IDENTITY_KINDS = frozenset({"human", "agent", "model", "integration"})


@dataclass
class HealthState:
    """The folded state; ``position`` is the next ledger sequence number to fold."""

    spike_settings: SpikeSettings = field(default_factory=SpikeSettings)
    position: int = 0
    last_leaf: str = ""
    days: dict[str, dict[str, int]] = field(default_factory=dict)
    """day -> entry type -> count."""
    marks: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    """mark -> day -> [count, seq, seq, ...] (at most SAMPLES_PER_DAY seqs)."""
    proposals: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    """id -> [created seconds, proposer actor, model, tier, seq]."""
    steps: dict[str, tuple[str, str]] = field(default_factory=dict)
    """id -> [agent actor, model]."""
    views: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """proposal -> actors who opened its evidence."""
    authorized: dict[str, int] = field(default_factory=dict)
    """proposal -> seq of its authorization."""
    final: dict[str, tuple[str, str]] = field(default_factory=dict)
    """proposal -> [day, disposition key] of its latest disposition."""
    dispositions: dict[str, dict[str, int]] = field(default_factory=dict)
    """day -> "agent|model|tier|outcome" -> count (latest disposition per proposal)."""
    approvals: dict[str, dict[str, list[tuple[Any, ...]]]] = field(default_factory=dict)
    """day -> approver actor -> [[latency seconds or None, evidence opened (0/1), seq], ...]."""
    denials: dict[str, dict[str, int]] = field(default_factory=dict)
    """day -> approver actor -> denials."""
    alerts: dict[str, int] = field(default_factory=dict)
    """day -> alerts ingested."""
    spike: SpikeDetector = field(default_factory=SpikeDetector)
    breakglass: dict[str, dict[str, Any]] = field(default_factory=dict)
    """proposal -> invocation (seq, by, time, due) and review (reviewed, late, review_seq)."""
    identities: dict[str, dict[str, Any]] = field(default_factory=dict)
    """id -> kind, owner, status, expires_at, seq."""
    bundles_published: dict[str, int] = field(default_factory=dict)
    bundles_used: dict[str, int] = field(default_factory=dict)
    actors: dict[str, int] = field(default_factory=dict)
    """actor -> the first entry it appears in."""
    resumed_from: int | None = field(default=None, compare=False, repr=False)
    """Where the last resume from a snapshot started (None: never resumed)."""
    _handlers: dict[str, Callable[[StoredEntry, dict[str, Any], str], None]] = field(
        init=False, repr=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self.spike.settings = self.spike_settings
        self._handlers = {
            et.PROPOSAL_CREATED: self._proposal,
            et.STEP_RECORDED: self._step,
            et.EVIDENCE_VIEWED: self._viewed,
            et.EVIDENCE_ITEM_OPENED: self._viewed,  # one item opened is a view too
            et.APPROVAL_GRANTED: self._approved,
            et.APPROVAL_DENIED: self._denied,
            et.AUTHORIZATION_ISSUED: self._authorized,
            et.EXECUTION_STARTED: self._execution_started,
            et.EXECUTION_FINISHED: self._execution_finished,
            et.DISPOSITION_RECORDED: self._disposition,
            et.BREAKGLASS_INVOKED: self._breakglass_invoked,
            et.BREAKGLASS_REVIEWED: self._breakglass_reviewed,
            et.IDENTITY_CREATED: self._identity_created,
            et.IDENTITY_SUSPENDED: self._identity_status,
            et.IDENTITY_RETIRED: self._identity_status,
            et.IDENTITY_REACTIVATED: self._identity_status,
            et.POLICY_PUBLISHED: self._policy,
            ev.IdentityOwnerTransferred.type: self._owner_transferred,
        }

    # -- folding ------------------------------------------------------------

    def fold(self, entry: StoredEntry) -> None:
        """Fold one entry; entries must come in sequence order, each once."""
        if entry.seq != self.position:
            raise InputError(
                f"health state is at entry {self.position}; entry {entry.seq} came instead"
            )
        day = entry.time[:10]
        counts = self.days.get(day)
        if counts is None:
            counts = self.days[day] = {}
        counts[entry.type] = counts.get(entry.type, 0) + 1
        if entry.actor not in self.actors:
            self._first_appearance(entry, day)
        if entry.type == et.ALERT_INGESTED:
            self.alerts[day] = self.alerts.get(day, 0) + 1
            self.spike.observe(ledger_seconds(entry.time))
        else:
            handler = self._handlers.get(entry.type)
            if handler is not None:
                handler(entry, json.loads(entry.data)["body"], day)
            else:
                self._mark(entry.type, day, entry.seq)
        self.position = entry.seq + 1
        self.last_leaf = entry.leaf_hash.hex()

    def fold_all(self, entries: Iterable[StoredEntry]) -> int:
        folded = 0
        for entry in entries:
            self.fold(entry)
            folded += 1
        return folded

    def catch_up(self, ledger: LedgerReader, end: int | None = None) -> int:
        """Fold the entries appended since ``position`` (up to ``end``); how many."""
        return self.fold_all(ledger.entries(start=self.position, end=end))

    def spike_periods(self, moment: float | None = None) -> list[SpikePeriod]:
        """Alert surges, as known at ``moment`` (POSIX seconds)."""
        return self.spike.all_periods(moment)

    def _mark(self, name: str, day: str, seq: int) -> None:
        by_day = self.marks.get(name)
        if by_day is None:
            by_day = self.marks[name] = {}
        found = by_day.get(day)
        if found is None:
            by_day[day] = [1, seq]
            return
        found[0] += 1
        if len(found) <= SAMPLES_PER_DAY:
            found.append(seq)

    def _first_appearance(self, entry: StoredEntry, day: str) -> None:
        self.actors[entry.actor] = entry.seq
        kind, _, name = entry.actor.partition(":")
        if kind in _IDENTITY_KINDS and name not in self.identities:
            self._mark("actor.unregistered", day, entry.seq)

    def _proposal(self, entry: StoredEntry, body: dict[str, Any], day: str) -> None:
        proposal, decision = body["proposal"], body["decision"]
        context = body.get("decision_inputs", {}).get("context", {})
        step = self.steps.get(proposal.get("step") or "")
        model = step[1] if step else _NO_MODEL
        tier = int(context.get("tier", -1))
        created = ledger_seconds(entry.time)
        self.proposals[proposal["id"]] = (created, entry.actor, model, tier, entry.seq)
        self._mark(et.PROPOSAL_CREATED, day, entry.seq)
        self._mark(f"proposal.{decision['effect']}", day, entry.seq)
        if context.get("spike"):
            self._mark("proposal.during_spike", day, entry.seq)
        if decision.get("require_evidence_view"):
            self._mark("proposal.evidence_required", day, entry.seq)
        bundle = decision.get("bundle_hash")
        if bundle and bundle not in self.bundles_used:
            self.bundles_used[bundle] = entry.seq
        if not entry.actor.startswith("human:") and step is None:
            self._mark("proposal.no_step", day, entry.seq)

    def _step(self, entry: StoredEntry, body: dict[str, Any], day: str) -> None:
        self.steps[body["step"]] = (entry.actor, body["model"])
        self._mark(et.STEP_RECORDED, day, entry.seq)
        if body.get("handoff_from"):
            self._mark("step.handoff", day, entry.seq)
        treatments = body.get("treatments", {})
        parts = [treatments.get("prompt"), treatments.get("output"), *treatments.get("inputs", [])]
        if any(
            treatment != "allow"
            for part in parts
            if part
            for counts in part.get("treatments", {}).values()
            for treatment in counts
        ):
            self._mark("step.treated", day, entry.seq)

    def _viewed(self, entry: StoredEntry, body: dict[str, Any], day: str) -> None:
        pid = body["proposal"]
        self.views[pid] = (*self.views.get(pid, ()), entry.actor)
        self._mark(entry.type, day, entry.seq)

    def _approved(self, entry: StoredEntry, body: dict[str, Any], day: str) -> None:
        pid = body["proposal"]
        proposal = self.proposals.get(pid)
        latency = None if proposal is None else ledger_seconds(entry.time) - proposal[0]
        viewed = entry.actor in self.views.get(pid, ())
        by = self.approvals.setdefault(day, {}).setdefault(entry.actor, [])
        by.append((latency, 1 if viewed else 0, entry.seq))
        self._mark(et.APPROVAL_GRANTED, day, entry.seq)
        if not viewed:
            self._mark("approval.no_evidence", day, entry.seq)
        self._check_separation(entry, pid, day)

    def _denied(self, entry: StoredEntry, body: dict[str, Any], day: str) -> None:
        by = self.denials.setdefault(day, {})
        by[entry.actor] = by.get(entry.actor, 0) + 1
        self._mark(et.APPROVAL_DENIED, day, entry.seq)
        self._check_separation(entry, body["proposal"], day)

    def _check_separation(self, entry: StoredEntry, pid: str, day: str) -> None:
        proposal = self.proposals.get(pid)
        if proposal is None:
            return
        approver = entry.actor.partition(":")[2]
        proposer = proposal[1].partition(":")[2]
        owner = self.identities.get(proposer, {}).get("owner")
        if approver == proposer or (owner is not None and owner == approver):
            self._mark("approval.separation_breach", day, entry.seq)

    def _authorized(self, entry: StoredEntry, body: dict[str, Any], day: str) -> None:
        self.authorized[body["proposal"]] = entry.seq
        self._mark(f"authorization.{body.get('via', 'unknown')}", day, entry.seq)

    def _execution_started(self, entry: StoredEntry, body: dict[str, Any], day: str) -> None:
        self._mark(et.EXECUTION_STARTED, day, entry.seq)
        if body["proposal"] not in self.authorized:
            self._mark("execution.unauthorized", day, entry.seq)

    def _execution_finished(self, entry: StoredEntry, body: dict[str, Any], day: str) -> None:
        self._mark(f"execution.{body.get('status', 'unknown')}", day, entry.seq)

    def _disposition(self, entry: StoredEntry, body: dict[str, Any], day: str) -> None:
        pid, outcome = body["proposal"], body["outcome"]
        self._mark(f"disposition.{outcome}", day, entry.seq)
        if not body.get("evidence_viewed"):
            self._mark("disposition.no_evidence", day, entry.seq)
        proposal = self.proposals.get(pid)
        if proposal is None:
            return
        key = f"{proposal[1]}|{proposal[2]}|{proposal[3]}|{outcome}"
        previous = self.final.get(pid)
        if previous is not None:  # only the latest disposition of a proposal counts
            counts = self.dispositions[previous[0]]
            counts[previous[1]] -= 1
            if not counts[previous[1]]:
                del counts[previous[1]]
        counts = self.dispositions.setdefault(day, {})
        counts[key] = counts.get(key, 0) + 1
        self.final[pid] = (day, key)

    def _breakglass_invoked(self, entry: StoredEntry, body: dict[str, Any], day: str) -> None:
        self.breakglass[body["proposal"]] = {
            "seq": entry.seq,
            "by": entry.actor,
            "time": entry.time,
            "due": body.get("review_due"),
            "reviewed": None,
            "late": False,
            "review_seq": None,
        }
        self._mark(et.BREAKGLASS_INVOKED, day, entry.seq)

    def _breakglass_reviewed(self, entry: StoredEntry, body: dict[str, Any], day: str) -> None:
        invoked = self.breakglass.get(body["proposal"])
        if invoked is not None:
            invoked.update(reviewed=entry.time, late=bool(body.get("late")), review_seq=entry.seq)
        self._mark(et.BREAKGLASS_REVIEWED, day, entry.seq)
        if body.get("late"):
            self._mark("breakglass.reviewed_late", day, entry.seq)

    def _identity_created(self, entry: StoredEntry, body: dict[str, Any], day: str) -> None:
        identity = body["identity"]
        self.identities[identity["id"]] = {
            "kind": identity["kind"],
            "owner": identity.get("owner"),
            "status": "active",
            "expires_at": identity.get("expires_at"),
            "scopes": len(identity.get("scopes", [])),
            "all_data": "*" in identity.get("data_classes", []),
            "seq": entry.seq,
        }
        self._mark(et.IDENTITY_CREATED, day, entry.seq)

    def _identity_status(self, entry: StoredEntry, body: dict[str, Any], day: str) -> None:
        known = self.identities.get(body["identity"])
        if known is not None:
            known["status"] = entry.type.partition(".")[2].replace("reactivated", "active")
            known["status_seq"] = entry.seq
        self._mark(entry.type, day, entry.seq)

    def _owner_transferred(self, entry: StoredEntry, body: dict[str, Any], day: str) -> None:
        known = self.identities.get(body["identity"])
        if known is not None:  # an orphaned agent given a new owner is no longer orphaned
            known["owner"] = body["owner"]

    def _policy(self, entry: StoredEntry, body: dict[str, Any], day: str) -> None:
        self.bundles_published.setdefault(body["bundle_hash"], entry.seq)
        self._mark(et.POLICY_PUBLISHED, day, entry.seq)
