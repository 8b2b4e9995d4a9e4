"""Case replay: a case's timeline and state rebuilt from ledger entries alone.

No state table is read: the case's entries are projected, by the same
projector that writes the live tables, into a fresh in-memory database, and
the state is read from there with the same query the Governor uses
(:func:`affidavit.governance.queries.case_state`). It must equal what the live
tables say (the demo and the tests hold it to that).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from affidavit.governance import events as ev
from affidavit.governance.queries import case_state
from affidavit.governance.rebuild import replay_scratch
from affidavit.ledger.entry import StoredEntry
from affidavit.ledger.events import Event, event_class, parse_event
from affidavit.ledger.reader import LedgerReader

__all__ = ["CaseReplay", "replay_case", "summary"]


@dataclass
class CaseReplay:
    case: str
    timeline: list[dict[str, Any]] = field(default_factory=list)
    proposals: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per proposal: status, approvals, executions and dispositions (``case_state``)."""

    def state(self) -> dict[str, dict[str, Any]]:
        """The comparable state, as ``Governor.case_state`` gives it from the live tables."""
        return self.proposals


def summary(event: Event | None) -> str:
    """One line on what an entry recorded, for the timeline."""
    match event:
        case ev.ProposalCreated():
            return f"{event.id}: {event.action} on {event.target} -> {event.effect}"
        case ev.DispositionRecorded():
            return f"{event.proposal}: {event.outcome} ({event.reason})"
        case ev.ApprovalRecorded() | ev.EvidenceViewed() | ev.BreakglassInvoked():
            return event.proposal
        case ev.AuthorizationIssued():
            return f"{event.proposal} {event.via}"
        case ev.BreakglassReviewed():
            return f"{event.proposal} {event.outcome}"
        case ev.ExecutionStarted():
            return event.proposal
        case ev.ExecutionFinished():
            return f"{event.proposal} {event.status}"
        case ev.AlertIngested():
            alert = event.alert
            return f"{alert['vendor']} {alert['severity']}: {alert['title']}"[:160]
        case ev.StepRecorded():
            return f"{event.agent} ran {event.model}@{event.model_version}"
    return ""


def _event(stored: StoredEntry) -> Event | None:
    cls = event_class(stored.type)
    if cls is None or cls.needs_payload_data:  # the timeline decrypts no payload
        return None
    return parse_event(stored)


def replay_case(ledger: LedgerReader, case: str, now: datetime) -> CaseReplay:
    """The case's timeline and its state as the ledger alone determines it, at ``now``."""
    replay = CaseReplay(case)
    for stored in ledger.entries(case=case):
        replay.timeline.append(
            {
                "seq": stored.seq,
                "time": stored.time,
                "type": stored.type,
                "actor": stored.actor,
                "summary": summary(_event(stored)),
            }
        )
    with replay_scratch(ledger, case=case) as conn:
        replay.proposals = case_state(conn, case, now)
    return replay
