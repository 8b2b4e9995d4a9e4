"""Random command sequences against the Governor: the tables always equal a replay of the
ledger, and the ledger never records a transition the state machine does not allow.

The oracle reads the ledger back entry by entry and walks each proposal through
``affidavit.governance.lifecycle``'s tables (the same ones docs/governance.md shows),
at each entry's own time, so expiry by clock advance counts. SQLite only: the
property is the code's, not the backend's, and each example builds a ledger.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from tests.conftest import Clock, configure
from tests.governance.conftest import CONNECTORS, Cast, add_cast

from affidavit.clock import iso
from affidavit.config import Settings, load_settings
from affidavit.connectors import ActionResult, InMemoryConnector
from affidavit.errors import AffidavitError
from affidavit.governance import events as ev
from affidavit.governance import lifecycle
from affidavit.governance.governor import Governor
from affidavit.governance.rebuild import replay_scratch, snapshot
from affidavit.ledger.events import parse_event
from affidavit.ledger.log import Ledger

PEOPLE = ("alice", "bob", "carol", "dave")
ACTIONS = ("enrich_ip_reputation", "enrich_ip_reputation", "block_ip", "wipe_host", "isolate_host")
OUTCOMES = ("accepted", "rejected", "overridden", "modified")
_template: tuple[Path, Cast] | None = None


def _settings(home: Path) -> Settings:
    return load_settings(
        {
            "AFFIDAVIT_HOME": str(home),
            "AFFIDAVIT_DATABASE_URL": f"sqlite:///{home / 'affidavit.db'}",
            "AFFIDAVIT_CHECKPOINT_INTERVAL": "0",
        }
    )


def _governor(home: Path, clock: Clock, connectors: dict[str, InMemoryConnector]) -> Governor:
    settings = _settings(home)
    return Governor(
        Ledger.open(settings, clock=clock), settings, connectors=connectors, clock=clock
    )


def _template_home() -> tuple[Path, Cast]:
    """A migrated database with the cast, built once and copied for every example."""
    global _template
    if _template is None:
        root = tempfile.mkdtemp(prefix="affidavit-lifecycle-")
        atexit.register(shutil.rmtree, root, True)
        home = Path(root) / "home"
        with _governor(home, Clock(), {}) as gov:
            _template = (home, add_cast(gov))
            configure(gov, auto_execute=False)
    return _template


@dataclass
class Walk:
    """One proposal as the oracle walks it."""

    status: str
    expires_at: str | None
    running: bool = False
    current: int | None = None  # the current disposition's seq
    withdraws_next: bool = False


def _effective(walk: Walk, time: str) -> str:
    expired = walk.expires_at is not None and walk.expires_at <= time
    return lifecycle.EXPIRED if walk.status == lifecycle.PENDING and expired else walk.status


def walk_ledger(gov: Governor) -> dict[str, Walk]:
    """Every proposal walked through the lifecycle tables; AssertionError on any entry the
    state machine does not allow."""
    walks: dict[str, Walk] = {}
    pending_withdrawal: str | None = None
    for stored in gov.ledger.entries():
        if stored.type == ev.ConfigurationPublished.type:
            continue  # the template's (auto-execution off); its text is a payload
        e = parse_event(stored)
        where = f"entry {stored.seq} ({stored.type})"
        if pending_withdrawal is not None:
            assert isinstance(e, ev.ProposalWithdrawn), f"{where}: withdrawal expected"
        if isinstance(e, ev.ProposalCreated):
            status = lifecycle.STATUS_AT_CREATION.get(e.effect, lifecycle.PENDING)
            walks[e.id] = Walk(status, e.expires_at)
            continue
        proposal = getattr(e, "proposal", None)
        if proposal is None or e is None:
            continue
        w = walks[proposal]
        now = _effective(w, stored.time)
        cls = type(e)
        if isinstance(e, ev.AuthorizationIssued) and e.via == "policy":
            assert w.status == lifecycle.AUTHORIZED, where
        elif isinstance(e, ev.ExecutionFinished):
            assert now in lifecycle.sources(cls, e.status) and w.running, where
            w.status, w.running = lifecycle.target(cls, e.status), False
        elif (cls, "") in lifecycle.TRANSITIONS:
            assert now in lifecycle.sources(cls), f"{where} on a {now} proposal"
            w.status = lifecycle.target(cls)
            if isinstance(e, ev.ProposalWithdrawn):
                assert pending_withdrawal == proposal, where
                pending_withdrawal = None
        elif cls in lifecycle.REQUIRES:
            assert now in lifecycle.sources(cls), f"{where} on a {now} proposal"
            w.running = w.running or isinstance(e, ev.ExecutionStarted)
        elif isinstance(e, ev.DispositionRecorded):
            assert now in lifecycle.DISPOSITIONS[e.outcome], f"{where}: {e.outcome} when {now}"
            assert e.supersedes == w.current, f"{where}: supersedes {e.supersedes}, not {w.current}"
            w.current = stored.seq
            withdrawable = now in lifecycle.sources(ev.ProposalWithdrawn)
            if e.outcome in lifecycle.WITHDRAWING and withdrawable:
                assert not w.running, where
                pending_withdrawal = proposal
    assert pending_withdrawal is None
    return walks


class ProposalMachine(RuleBasedStateMachine):
    proposals = Bundle("proposals")

    def __init__(self) -> None:
        super().__init__()
        template, self.cast = _template_home()
        self.tmp = tempfile.mkdtemp(prefix="affidavit-lifecycle-")
        home = Path(self.tmp) / "home"
        shutil.copytree(template, home)
        self.clock = Clock()
        self.connectors = {name: InMemoryConnector(name) for name in CONNECTORS}
        self.gov = _governor(home, self.clock, self.connectors)

    def teardown(self) -> None:
        self.gov.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _token(self, name: str) -> str:
        return str(getattr(self.cast, name))

    def _attempt(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """A refused command writes nothing."""
        size = self.gov.ledger.size()
        try:
            return fn(*args, **kwargs)
        except AffidavitError:
            assert self.gov.ledger.size() == size
            return None

    @rule(
        target=proposals,
        proposer=st.sampled_from(("triage", "alice")),
        action=st.sampled_from(ACTIONS),
        n=st.integers(1, 3),
    )
    def propose(self, proposer: str, action: str, n: int) -> str:
        target = f"host:pc-{n}" if action.endswith("_host") else f"ip:198.51.100.{n}"
        made = self.gov.propose(self._token(proposer), case="CASE", action=action, target=target)
        return made.id

    @rule(proposal=proposals, person=st.sampled_from(PEOPLE), deny=st.booleans())
    def approve(self, proposal: str, person: str, deny: bool) -> None:
        self._attempt(self.gov.view_evidence, self._token(person), proposal)
        self._attempt(
            self.gov.approve, self._token(person), proposal, rationale="because", deny=deny
        )

    @rule(proposal=proposals)
    def breakglass(self, proposal: str) -> None:
        self._attempt(self.gov.breakglass, self.cast.bob, proposal, justification="now")

    @rule(proposal=proposals, fail=st.booleans())
    def execute(self, proposal: str, fail: bool) -> None:
        outcome = (
            ActionResult("failed", {"error": "down"}) if fail else ActionResult("succeeded", {})
        )
        for connector in self.connectors.values():
            connector.set_outcome(self.gov.proposal(proposal).action, outcome)
        self._attempt(self.gov.execute, proposal)

    @rule(
        proposal=proposals,
        person=st.sampled_from(PEOPLE),
        outcome=st.sampled_from(OUTCOMES),
        supersede=st.booleans(),
        other=proposals,
    )
    def dispose(
        self, proposal: str, person: str, outcome: str, supersede: bool, other: str
    ) -> None:
        current = [d["seq"] for d in self.gov.proposal_details(proposal)["dispositions"]]
        self._attempt(
            self.gov.dispose,
            self._token(person),
            proposal,
            outcome=outcome,
            reason="other",
            rationale="recorded in a property test",
            override_with=other if outcome == "overridden" else None,
            supersedes=max(current) if supersede and current else None,
        )

    @rule(minutes=st.sampled_from((1, 30, 90, 180)))
    def advance_clock(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    @invariant()
    def tables_equal_replay_and_follow_the_machine(self) -> None:
        with self.gov.ledger.db.read() as conn:
            live = snapshot(conn)
        with replay_scratch(self.gov.ledger) as scratch:
            assert snapshot(scratch) == live
        walks = walk_ledger(self.gov)
        now = self.clock()
        for proposal in self.gov.proposals():
            expected = _effective(walks[proposal.id], iso(now))
            assert proposal.status == expected, proposal.id


ProposalMachine.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestProposalLifecycle = ProposalMachine.TestCase
