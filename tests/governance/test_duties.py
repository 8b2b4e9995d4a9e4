"""Separation of duties everywhere, and ownership that fails closed (issue 9, items 6 and 7).

Each test is written as the attacker: it failed on the code before these rules."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.governance.conftest import Cast, Clock

from affidavit.clock import iso
from affidavit.errors import AuthError, Conflict, InputError, PolicyError
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity


@pytest.fixture
def owner_with_glass(gov: Governor, cast: Cast) -> tuple[str, str]:
    """oscar may break glass and approve, and owns the agent scout: (oscar, scout) tokens."""
    _, oscar = gov.add_identity(
        Identity(id="oscar", kind="human", roles=("approver:ir_lead", "breakglass"))
    )
    _, scout = gov.add_identity(
        Identity(id="scout", kind="agent", owner="oscar", scopes=("block_ip", "isolate_host"))
    )
    return oscar, scout


def _block(gov: Governor, token: str, n: int = 20) -> str:
    return gov.propose(token, case="C-SOD", action="block_ip", target=f"ip:198.51.100.{n}").id


def test_the_agents_owner_cannot_break_glass_on_its_proposal(
    gov: Governor, owner_with_glass: tuple[str, str]
) -> None:
    oscar, scout = owner_with_glass
    proposal = _block(gov, scout)
    with pytest.raises(PolicyError, match="owns agent scout"):
        gov.breakglass(oscar, proposal, justification="my agent is right, trust me")
    assert gov.proposal(proposal).status == "pending_approval"


def test_the_requester_cannot_review_the_break_glass_on_their_request(
    gov: Governor, cast: Cast
) -> None:
    proposal = _block(gov, cast.alice)  # alice (a person) asks
    gov.breakglass(cast.bob, proposal, justification="exfiltration in progress")
    with pytest.raises(PolicyError, match="alice proposed"):
        gov.review_breakglass(cast.alice, proposal, upheld=True, rationale="I agree with me")
    [review] = gov.breakglass_reviews()
    assert review["outcome"] is None


def test_the_agents_owner_cannot_review_the_break_glass(gov: Governor, cast: Cast) -> None:
    proposal = _block(gov, cast.triage)  # triage belongs to olivia
    gov.breakglass(cast.bob, proposal, justification="exfiltration in progress")
    with pytest.raises(PolicyError, match="owns agent triage"):
        gov.review_breakglass(cast.olivia, proposal, upheld=True, rationale="fine by me")


def test_a_person_without_an_approver_role_cannot_review(gov: Governor, cast: Cast) -> None:
    proposal = _block(gov, cast.triage)
    gov.breakglass(cast.bob, proposal, justification="exfiltration in progress")
    with pytest.raises(PolicyError, match="needs a role that could approve it"):
        gov.review_breakglass(cast.dave, proposal, upheld=True, rationale="looks ok")


def test_by_default_a_person_with_no_approver_role_never_approves(
    gov: Governor, cast: Cast
) -> None:
    # A tier-2 isolation names no approver role: before, any person could approve it.
    proposal = gov.propose(
        cast.triage,
        case="C-SOD",
        action="isolate_host",
        target="host:pc-1",
        confidence=0.9,
        evidence=["alert:edr-1"],
    )
    assert proposal.approver_roles == ()
    gov.open_evidence(cast.alice, proposal.id, 0)
    with pytest.raises(PolicyError, match=r"approver:\*"):
        gov.approve(cast.dave, proposal.id, rationale="sure")
    gov.approve(cast.alice, proposal.id, rationale="confirmed")  # holds approver:ir_lead


def test_a_rejected_review_opens_an_incident(gov: Governor, cast: Cast) -> None:
    proposal = _block(gov, cast.triage)
    gov.breakglass(cast.bob, proposal, justification="exfiltration in progress")
    gov.review_breakglass(cast.carol, proposal, upheld=False, rationale="no exfiltration seen")
    [incident] = gov.incidents()
    assert (incident["proposal"], incident["case"], incident["reason"]) == (
        proposal,
        "C-SOD",
        "breakglass_rejected",
    )
    assert incident["opened_by"] == "human:carol"
    review, opened = list(gov.ledger.entries())[-2:]
    assert (review.type, opened.type) == ("breakglass.reviewed", "incident.opened")
    assert incident["cause_seq"] == review.seq and incident["opened_seq"] == opened.seq
    gov.ledger.verify()


def test_an_upheld_review_opens_no_incident(gov: Governor, cast: Cast) -> None:
    proposal = _block(gov, cast.triage)
    gov.breakglass(cast.bob, proposal, justification="exfiltration in progress")
    gov.review_breakglass(cast.carol, proposal, upheld=True, rationale="justified")
    assert gov.incidents() == []


def _suspended_after_authenticating(
    gov: Governor, monkeypatch: pytest.MonkeyPatch, who: str
) -> None:
    """The race: ``who`` authenticates, is suspended by an admin, then their write runs."""
    real = gov.authenticate

    def racing(token: str | None) -> Identity:
        identity = real(token)
        if identity.id == who:
            gov.set_identity_status(who, "suspended")
        return identity

    monkeypatch.setattr(gov, "authenticate", racing)


ACTS: dict[str, Callable[[Governor, Cast, str], object]] = {
    "approve": lambda gov, cast, p: gov.approve(cast.bob, p, rationale="ok"),
    "breakglass": lambda gov, cast, p: gov.breakglass(cast.bob, p, justification="now"),
}


@pytest.mark.parametrize("act", sorted(ACTS))
def test_status_is_checked_inside_the_write(
    gov: Governor, cast: Cast, monkeypatch: pytest.MonkeyPatch, act: str
) -> None:
    proposal = _block(gov, cast.triage)
    _suspended_after_authenticating(gov, monkeypatch, "bob")
    with pytest.raises(AuthError, match="bob is suspended"):
        ACTS[act](gov, cast, proposal)
    assert gov.proposal(proposal).status == "pending_approval"


def test_a_reviewer_suspended_after_authenticating_cannot_review(
    gov: Governor, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    proposal = _block(gov, cast.triage)
    gov.breakglass(cast.bob, proposal, justification="exfiltration in progress")
    _suspended_after_authenticating(gov, monkeypatch, "carol")
    with pytest.raises(AuthError, match="carol is suspended"):
        gov.review_breakglass(cast.carol, proposal, upheld=True, rationale="justified")
    assert gov.breakglass_reviews()[0]["outcome"] is None


def test_an_identity_cannot_be_created_already_expired(gov: Governor, clock: Clock) -> None:
    with pytest.raises(InputError, match="already expired"):
        gov.add_identity(
            Identity(id="ghost", kind="human", roles=("analyst",), expires_at=iso(clock()))
        )
    assert "ghost" not in {i.id for i in gov.identities()}


# -- ownership fails closed (item 7) ------------------------------------------------


@pytest.mark.parametrize("status", ["suspended", "retired"])
def test_an_agent_whose_owner_is_gone_is_refused(gov: Governor, cast: Cast, status: str) -> None:
    gov.set_identity_status("olivia", status)
    with pytest.raises(AuthError, match="no active owner"):
        _block(gov, cast.triage)
    with pytest.raises(AuthError, match="no active owner"):
        gov.record_step(
            cast.triage, case="C", model="m", model_version="1", prompt=b"p", output=b"o"
        )


def test_an_agent_whose_owner_expired_is_refused(gov: Governor, cast: Cast, clock: Clock) -> None:
    clock.advance(hours=1)
    expiry = iso(clock())
    clock.advance(hours=-1)
    gov.add_identity(Identity(id="temp", kind="human", roles=("analyst",), expires_at=expiry))
    _, bot = gov.add_identity(Identity(id="bot", kind="agent", owner="temp", scopes=("block_ip",)))
    _block(gov, bot, 30)
    clock.advance(hours=2)
    with pytest.raises(AuthError, match="no active owner"):
        _block(gov, bot, 31)


def test_the_owner_check_runs_inside_the_write(
    gov: Governor, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    from affidavit.governance import identities

    real = identities.authenticate

    def racing(*args: object, **kwargs: object) -> Identity:
        identity = real(*args, **kwargs)  # type: ignore[arg-type]
        if identity.id == "triage":
            gov.set_identity_status("olivia", "suspended")
        return identity

    monkeypatch.setattr(identities, "authenticate", racing)
    with pytest.raises(AuthError, match="no active owner"):
        _block(gov, cast.triage)
    assert gov.proposals(case="C-SOD") == []


def test_transfer_reassigns_an_agent_ledgered(gov: Governor, cast: Cast) -> None:
    gov.set_identity_status("olivia", "suspended")
    gov.set_identity_status("dave", "suspended")
    with pytest.raises(InputError, match="active, unexpired person"):
        gov.transfer_identity("triage", "dave")  # not to a suspended person
    with pytest.raises(InputError, match="only agents"):
        gov.transfer_identity("alice", "carol")
    moved = gov.transfer_identity("triage", "carol")
    assert moved.owner == "carol"
    entry = list(gov.ledger.entries())[-1]
    assert entry.type == "identity.owner_transferred"
    assert entry.body == {"identity": "triage", "previous_owner": "olivia", "owner": "carol"}
    assert entry.actor.startswith("local:")
    proposal = _block(gov, cast.triage)  # works again, under its new owner
    with pytest.raises(PolicyError, match="accountable owner of agent triage"):
        gov.approve(cast.carol, proposal, rationale="mine now")
    with pytest.raises(Conflict, match="already owns"):
        gov.transfer_identity("triage", "carol")
    gov.ledger.verify()
