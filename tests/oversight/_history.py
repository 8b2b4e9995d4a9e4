"""A scripted governance history with known answers, built through the Governor.

Days count from the test clock's epoch (``tests.conftest.at``).
Day one (day 0): the triage agent (model m-a) proposes 25 containments;
bob approves each 10 seconds later without opening the evidence; alice
accepts 20 and rejects 5. The responder agent (model m-b) proposes 25 more;
carol opens the evidence and approves 20 after ten minutes each, and denies 5
after two; alice accepts 10 of the approved and records 10 as modified.
Day nine (day 8): triage proposes 10 more, bob approves them in 10
seconds, alice rejects all 10: triage's acceptance drifts from 0.8 to 0.
Then bob breaks glass twice: carol reviews one, the other is never reviewed.
Agent scout's owner dave is suspended; agent watcher's owner erin expired on
day 3. Last, 30 alerts arrive within a minute: one surge.
"""

from __future__ import annotations

from dataclasses import dataclass

from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from affidavit.samples.alerts import generate_alerts
from tests.conftest import at, day
from tests.governance.conftest import Cast, Clock

SPIKE_ON = 20


MODELS = {"triage": "m-a", "responder": "m-b"}


@dataclass
class History:
    overdue_breakglass: str
    reviewed_breakglass: str


def _isolate(gov: Governor, cast: Cast, agent: str, case: str, host: str = "pc-1") -> str:
    token = getattr(cast, agent)
    step = gov.record_step(
        token, case=case, model=MODELS[agent], model_version="1", prompt=b"look", output=b"isolate"
    )
    proposal = gov.propose(
        token, case=case, action="isolate_host", target=f"host:{host}", confidence=0.9, step=step.id
    )
    assert proposal.status == "pending_approval", proposal
    return proposal.id


def build_history(gov: Governor, cast: Cast, clock: Clock) -> History:
    for i in range(25):  # bob: fast, blind, always yes
        pid = _isolate(gov, cast, "triage", f"C-T{i}")
        clock.advance(seconds=10)
        if i < 20:
            gov.approve(cast.bob, pid, rationale="ok")
            clock.advance(seconds=5)
            gov.dispose(cast.alice, pid, outcome="accepted", reason="true_positive")
        else:  # rejected while pending: withdrawn, never approved or executed
            gov.dispose(
                cast.alice, pid, outcome="rejected", reason="false_positive", rationale="benign"
            )
        clock.advance(seconds=60)
    for i in range(25):  # carol: opens the evidence, takes her time, sometimes says no
        pid = _isolate(gov, cast, "responder", f"C-R{i}")
        gov.view_evidence(cast.carol, pid)
        if i < 20:
            clock.advance(minutes=10)
            if i >= 10:  # modified before it ran: the narrower action is what happens
                gov.dispose(
                    cast.alice, pid, outcome="modified", reason="scope_change", rationale="narrower"
                )
                clock.advance(seconds=30)
                continue
            gov.approve(cast.carol, pid, rationale="confirmed in EDR telemetry")
            clock.advance(seconds=30)
            gov.dispose(cast.alice, pid, outcome="accepted", reason="true_positive")
        else:
            clock.advance(minutes=2)
            gov.approve(cast.carol, pid, rationale="no beaconing seen", deny=True)
        clock.advance(seconds=60)

    clock.now = at(8, 9)
    for i in range(10):  # the drift: triage's recommendations stop being accepted
        pid = _isolate(gov, cast, "triage", f"C-D{i}")
        clock.advance(seconds=15)
        gov.dispose(  # rejected while pending: withdrawn
            cast.alice, pid, outcome="rejected", reason="model_error", rationale="misread logs"
        )
        clock.advance(seconds=60)

    overdue = _isolate(gov, cast, "responder", "C-B1", host="pc-2")
    gov.breakglass(cast.bob, overdue, justification="exfiltration in progress")
    reviewed = _isolate(gov, cast, "responder", "C-B2", host="pc-3")
    gov.breakglass(cast.bob, reviewed, justification="ransomware spreading")
    clock.advance(hours=1)
    gov.review_breakglass(cast.carol, reviewed, upheld=True, rationale="justified")

    gov.add_identity(Identity(id="scout", kind="agent", owner="dave", scopes=("add_case_note",)))
    gov.set_identity_status("dave", "suspended")
    gov.add_identity(
        Identity(
            id="erin", kind="human", roles=("analyst",), expires_at=f"{day(3)}T00:00:00.000000Z"
        )
    )
    gov.add_identity(Identity(id="watcher", kind="agent", owner="erin", scopes=("add_case_note",)))

    clock.now = at(9, 10)
    for seed in range(3):  # 30 alerts within a minute: one surge over 20 per 15 minutes
        gov.ingest_objects(generate_alerts(10, seed=seed * 100), case=None, actor="system:test")
        clock.advance(seconds=20)
    clock.now = at(9, 18)
    return History(overdue, reviewed)
