"""The notifier: a worker beside the decision path, never in it.

Each round it (1) reads ledger entries after its stored cursor and queues a
delivery per event and channel (``proposal.created`` needing approval,
``breakglass.invoked``) plus the clock-driven checks they imply; (2) runs the
checks that have come due (a request nearing expiry undecided: escalate; a
break-glass review past due: tell the approvers and their escalation group);
(3) sends what is due, one message per event or, during a spike on a channel,
one digest per window. A failed send is retried with backoff and pauses that
channel until then. Proposals and approvals never call the notifier: they only
append to the ledger, which the notifier reads later.

Every time comparison uses the injected clock.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from affidavit.clock import Clock, iso, system_clock
from affidavit.errors import AffidavitError, InputError, NotFound
from affidavit.governance import events as ev
from affidavit.governance.queries import GovernorQueries
from affidavit.ledger.entry import StoredEntry
from affidavit.ledger.reader import LedgerReader
from affidavit.notify.config import NotifyConfig, RoleRoute
from affidavit.notify.events import Event, pending_event
from affidavit.notify.messages import build_notice
from affidavit.notify.senders import DeliveryError, Sender, make_sender
from affidavit.notify.state import Delivery, NotifyState, Schedule

__all__ = ["Notifier", "RoundSummary"]

SCAN_LIMIT = 5000
"""Ledger entries read per round, so one round stays short on a long backlog."""
DIGEST_LIMIT = 500
"""Most deliveries folded into one digest; more wait for the next one."""


@dataclass
class RoundSummary:
    scanned: int = 0
    queued: int = 0
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    digests: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: RoundSummary) -> None:
        for f in dataclasses.fields(self):
            if f.name != "problems":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        self.problems += other.problems


class Notifier:
    """Tails the ledger of ``reader`` and tells the channels of ``config``."""

    def __init__(
        self,
        config: NotifyConfig,
        state: NotifyState,
        reader: LedgerReader,
        governor: GovernorQueries,
        *,
        clock: Clock = system_clock,
        senders: Mapping[str, Sender] | None = None,
    ) -> None:
        self.config = config
        self.state = state
        self.reader = reader
        self.governor = governor
        self.clock = clock
        self.senders: dict[str, Sender] = (
            dict(senders)
            if senders is not None
            else {name: make_sender(ch) for name, ch in config.channels.items()}
        )

    def close(self) -> None:
        for sender in self.senders.values():
            sender.close()

    # -- the loop ----------------------------------------------------------------

    def run_once(self) -> RoundSummary:
        now = self.clock()
        summary = RoundSummary()
        self._scan(now, summary)
        self._run_schedules(now, summary)
        self._deliver(now, summary)
        return summary

    def run(
        self,
        stop: threading.Event,
        *,
        interval_s: float = 2.0,
        on_round: Callable[[RoundSummary], None] | None = None,
    ) -> None:
        """Rounds until ``stop`` is set; an error in one round is reported, not fatal."""
        while not stop.is_set():
            try:
                summary = self.run_once()
            except AffidavitError as exc:
                summary = RoundSummary(problems=[exc.message])
            except (SQLAlchemyError, OSError) as exc:  # the database went away: try again
                summary = RoundSummary(problems=[f"round failed: {type(exc).__name__}"])
            if on_round is not None:
                on_round(summary)
            stop.wait(interval_s)

    # -- 1: read the ledger ------------------------------------------------------

    def _scan(self, now: datetime, summary: RoundSummary) -> None:
        start = self.state.cursor()
        deliveries: list[tuple[Event, str]] = []
        schedules: list[Schedule] = []
        next_seq = start
        for entry in self.reader.entries(start=start, end=start + SCAN_LIMIT):
            next_seq = entry.seq + 1
            summary.scanned += 1
            try:
                found = self._events_of(entry, now)
            except (InputError, NotFound) as exc:
                summary.problems.append(f"entry {entry.seq} skipped: {exc}")
                continue
            for event, routes in found:
                deliveries += [(event, ch) for ch in _channels(routes)]
                schedules += self._schedules_of(event, routes)
        if next_seq != start:
            summary.queued += self.state.record_scan(next_seq, deliveries, schedules, now)

    def _events_of(self, entry: StoredEntry, now: datetime) -> list[tuple[Event, list[RoleRoute]]]:
        if entry.type == ev.ProposalCreated.type:
            event = pending_event(entry)
            deadline = None if event is None else event.deadline_at()
            if event is None or (deadline is not None and deadline <= now):
                return []  # nothing to ask, or expired before the notifier saw it
            return [(event, self.config.routes(event.roles))]
        if entry.type == ev.BreakglassInvoked.type:
            body = entry.body
            proposal_id, due = body.get("proposal"), body.get("review_due")
            if not isinstance(proposal_id, str) or not isinstance(due, str):
                raise InputError("a breakglass.invoked entry without proposal and review_due")
            review = self.governor.proposal_details(proposal_id)["breakglass"]
            if review is None or review["reviewed_by"] is not None:
                return []  # already reviewed before the notifier saw it
            base = pending_event(self.reader.entry(self.governor.proposal(proposal_id).seq))
            if base is None:
                raise InputError(f"proposal {proposal_id} did not require approval")
            event = dataclasses.replace(base, kind="breakglass", seq=entry.seq, deadline=due)
            return [(event, self.config.routes(event.roles))]
        return []

    def _schedules_of(self, event: Event, routes: list[RoleRoute]) -> list[Schedule]:
        deadline = event.deadline_at()
        if deadline is None:
            return []
        if event.kind == "breakglass":
            overdue = dataclasses.replace(event, kind="review_overdue")
            return [Schedule(overdue, "*", iso(deadline))]
        expiring = dataclasses.replace(event, kind="approval_expiring")
        return [
            Schedule(expiring, r.role, iso(deadline - timedelta(seconds=r.escalation.lead_time_s)))
            for r in routes
            if r.escalation is not None
        ]

    # -- 2: clock-driven checks --------------------------------------------------

    def _run_schedules(self, now: datetime, summary: RoundSummary) -> None:
        for schedule in self.state.due_schedules(now):
            event = schedule.event
            try:
                outcome, routes = self._check(schedule, now)
            except (InputError, NotFound) as exc:
                outcome, routes = f"skipped: {exc}", []
            deliveries = [(event, ch) for ch in _channels(routes)]
            summary.queued += self.state.finish_schedule(schedule, outcome, deliveries, now)

    def _check(self, schedule: Schedule, now: datetime) -> tuple[str, list[RoleRoute]]:
        event = schedule.event
        if event.kind == "approval_expiring":
            status = self.governor.proposal(event.proposal).status
            if status != "pending_approval":
                return f"no escalation: the proposal is {status}", []
            route = self.config.find_route(schedule.role)
            if route is None or route.escalation is None:
                return "no escalation: none configured any more", []
            return "escalated", [self.config.route(route.escalation.to)]
        review = self.governor.proposal_details(event.proposal)["breakglass"]
        if review is None or review["reviewed_by"] is not None:
            return "reviewed in time", []
        routes = self.config.routes(event.roles)
        escalations = [self.config.roles[r.escalation.to] for r in routes if r.escalation]
        return "overdue", routes + escalations

    # -- 3: send -------------------------------------------------------------------

    def _deliver(self, now: datetime, summary: RoundSummary) -> None:
        for channel in self.state.channels_due(now):
            last_digest, paused_until = self.state.channel(channel)
            if paused_until is not None and paused_until > now:
                continue
            due = self.state.due(channel, now, DIGEST_LIMIT)
            sender = self.senders.get(channel)
            if sender is None:
                ids = [d.id for d in due]
                self.state.mark_dropped(ids, "the channel is no longer configured", now)
                summary.dropped += len(ids)
                continue
            live = self._still_relevant(due, now, summary)
            if not live:
                continue
            window = timedelta(seconds=self.config.digest.window_s)
            recent = self.state.recent(channel, now - window)
            if max(recent, len(live)) > self.config.digest.threshold:
                if last_digest is not None and last_digest > now - window:
                    continue  # one digest per window during a spike; the rest wait for the next
                if self._send(sender, live, now, summary, digest=True):
                    self.state.set_channel(channel, last_digest_at=now)
            else:
                for delivery in live:
                    if not self._send(sender, [delivery], now, summary, digest=False):
                        break  # the channel is paused until its retry is due

    def _still_relevant(
        self, due: list[Delivery], now: datetime, summary: RoundSummary
    ) -> list[Delivery]:
        """Drop requests decided or expired since they were queued: nobody can act on them."""
        live, statuses = [], {}
        for delivery in due:
            event = delivery.event
            if event.kind not in ("approval_pending", "approval_expiring"):
                live.append(delivery)
                continue
            if event.proposal not in statuses:
                try:
                    statuses[event.proposal] = self.governor.proposal(event.proposal).status
                except NotFound:
                    statuses[event.proposal] = "missing"
            status = statuses[event.proposal]
            if status == "pending_approval":
                live.append(delivery)
            else:
                self.state.mark_dropped([delivery.id], f"the proposal is {status}", now)
                summary.dropped += 1
        return live

    def _send(
        self,
        sender: Sender,
        batch: list[Delivery],
        now: datetime,
        summary: RoundSummary,
        *,
        digest: bool,
    ) -> bool:
        notice = build_notice([d.event for d in batch], self.config.console_url, now)
        try:
            sender.send(notice)
        except DeliveryError as exc:
            retry_at = self.state.mark_failed(batch, exc.message, now, self.config.retry)
            self.state.set_channel(sender.channel.name, paused_until=retry_at)
            summary.failed += len(batch)
            return False
        self.state.mark_sent([d.id for d in batch], now, via_digest=digest)
        summary.sent += len(batch)
        summary.digests += int(digest)
        return True


def _channels(routes: list[RoleRoute]) -> list[str]:
    """The channels of ``routes``, each once, in order."""
    return list(dict.fromkeys(ch for r in routes for ch in r.channels))
