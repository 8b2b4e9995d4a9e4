"""The queue, the proposal page, evidence views, decisions and their friction, over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from affidavit.governance.friction import DecisionRecord, rubber_stamp
from tests.web.conftest import Site, friction_rules


def _decide(site: Site, c: object, pid: str, verdict: str, rationale: str) -> object:
    return c.post(  # type: ignore[attr-defined]
        f"/console/proposals/{pid}/decide",
        data={
            "verdict": verdict,
            "rationale": rationale,
            "csrf_token": site.csrf(c, f"/console/proposals/{pid}"),
        },  # type: ignore[arg-type]
    )


def test_queue_sorts_by_expiry_then_blast_radius_and_filters(site: Site) -> None:
    c = site.login("approver")
    text = c.get("/console/queue").text
    for pid in site.scenario.proposals.values():
        assert f"/console/proposals/{pid}" in text
    # All three are pending, one hour each: same expiry second order follows tier (3 first).
    assert text.index("disable_account") < text.index("isolate_host")
    assert "T3 user impact" in text and "T2 containment" in text
    assert "critical" in text and "olivia" in text  # criticality and the agent's owner
    only_tier3 = c.get("/console/queue?tier=3").text
    assert "disable_account" in only_tier3 and "isolate_host" not in only_tier3.split("<tbody>")[1]
    by_agent = c.get("/console/queue?agent=triage").text.split("<tbody>")[1]
    assert "disable_account" not in by_agent
    assert c.get("/console/queue?case=%3Cscript%3E").status_code == 400


def test_expired_proposals_leave_the_queue(site: Site) -> None:
    c = site.login("approver")
    site.clock.advance(hours=2)
    c2 = site.login("approver")
    assert "Nothing is waiting" in c2.get("/console/queue").text
    del c


def test_the_queue_follows_the_ledger(site: Site) -> None:
    c = site.login("approver")
    before = c.get("/console/queue?partial=1").text
    assert "3</strong> pending" in before
    site.gov.propose(
        site.tokens["agent"],
        case="case-web-2",
        action="block_ip",
        target="ip:203.0.113.9",
        confidence=0.9,
        rationale="scanner",
    )
    after = c.get("/console/queue?partial=1").text
    assert "4</strong> pending" in after and "case-web-2" in after
    site.gov.approve(
        site.tokens["breakglass"],
        site.gov.proposals(case="case-web-2")[0].id,
        rationale="no",
        deny=True,
    )
    assert "3</strong> pending" in c.get("/console/queue?partial=1").text


def test_proposal_page_shows_the_request_the_model_and_the_policy(site: Site) -> None:
    c = site.login("approver")
    pid = site.scenario.proposals["isolate"]
    text = c.get(f"/console/proposals/{pid}").text
    assert "beaconing every 60 s" in text  # rationale
    assert "91%" in text  # confidence
    assert "gpt-test" in text and "2026-11" in text  # model and version
    assert "tier-2-containment" in text  # determining policy
    assert site.gov.active_policy()[0][:16] in text  # bundle version
    assert "jane.doe@example.com" not in text  # treated payloads stay treated
    assert "carol" in text  # may still approve
    assert "Reveal a token" not in text  # not a detokenize person


def test_opening_evidence_records_the_view_once(site: Site) -> None:
    c = site.login("approver")
    pid = site.scenario.proposals["isolate"]
    size = site.gov.ledger.size()
    alert = c.get(f"/console/proposals/{pid}/evidence/0")
    assert alert.status_code == 200 and "alert" in alert.text.lower()
    assert site.gov.ledger.size() == size + 1
    entry = site.gov.ledger.entry(size)
    assert entry.type == "evidence.item_opened" and entry.actor == "human:alice"
    assert entry.body["item"] == 0 and entry.body["reference"].startswith("alert:")
    assert c.get(f"/console/proposals/{pid}/evidence/0").status_code == 200
    assert site.gov.ledger.size() == size + 1  # once per person and item
    step = c.get(f"/console/proposals/{pid}/evidence/1")
    assert "gpt-test" in step.text
    assert site.gov.ledger.size() == size + 2
    assert site.gov.evidence_opened("alice", pid) == {0, 1}
    assert c.get(f"/console/proposals/{pid}/evidence/7").status_code == 400
    assert "opened" in c.get(f"/console/proposals/{pid}").text


def test_tier_2_approval_is_refused_until_evidence_is_opened(site: Site) -> None:
    c = site.login("approver")
    pid = site.scenario.proposals["isolate"]
    size = site.gov.ledger.size()
    refused = _decide(site, c, pid, "approve", "looks right")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert "open at least one evidence item" in refused.text  # type: ignore[attr-defined]
    assert site.gov.ledger.size() == size
    c.get(f"/console/proposals/{pid}/evidence/1")
    done = _decide(site, c, pid, "approve", "beacon confirmed in the process tree")
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert site.gov.proposal(pid).status == "executed"


def test_a_rationale_is_required_from_tier_2(site: Site) -> None:
    c = site.login("approver")
    pid = site.scenario.proposals["isolate"]
    c.get(f"/console/proposals/{pid}/evidence/0")
    r = _decide(site, c, pid, "deny", "   ")
    assert r.status_code == 400  # type: ignore[attr-defined]
    assert "rationale is required" in r.text  # type: ignore[attr-defined]


def test_the_requester_and_the_owner_see_why_they_cannot_decide(site: Site) -> None:
    analyst = site.login("analyst")
    text = analyst.get(f"/console/proposals/{site.scenario.proposals['disable']}").text
    assert "You requested this action" in text
    assert 'id="approve"' not in text
    owner = site.login("owner")
    text = owner.get(f"/console/proposals/{site.scenario.proposals['isolate']}").text
    assert "accountable owner of agent triage" in text
    # and the Governor agrees if they post anyway
    pid = site.scenario.proposals["isolate"]
    owner.get(f"/console/proposals/{pid}/evidence/0")
    r = _decide(site, owner, pid, "approve", "mine")
    assert r.status_code == 403  # type: ignore[attr-defined]
    assert "accountable owner of agent triage" in r.text  # type: ignore[attr-defined]


def test_quorum_of_two_distinct_people(site: Site) -> None:
    pid = site.scenario.proposals["critical"]
    alice = site.login("approver")
    alice.get(f"/console/proposals/{pid}/evidence/0")
    assert _decide(site, alice, pid, "approve", "confirmed").status_code == 303  # type: ignore[attr-defined]
    text = alice.get(f"/console/proposals/{pid}").text
    assert "You already approved" in text
    assert site.gov.proposal(pid).status == "pending_approval"
    carol = site.login("approver2")
    carol.get(f"/console/proposals/{pid}/evidence/1")
    assert _decide(site, carol, pid, "approve", "agreed").status_code == 303  # type: ignore[attr-defined]
    assert site.gov.proposal(pid).status == "executed"


def test_detokenize_is_a_separate_audited_action(site: Site) -> None:
    site.gov.add_identity(
        __import__("affidavit.governance.identities", fromlist=["Identity"]).Identity(
            id="dora", kind="human", roles=("analyst", "detokenize")
        )
    )
    token = site.gov.rotate_token("dora")[0]
    site.tokens["dora"] = token
    c = site.login("dora")
    pid = site.scenario.proposals["isolate"]
    page = c.get(f"/console/proposals/{pid}").text
    assert "Reveal a token" in page
    import re

    shown = re.search(r"<option>(\[PII:[a-z_]+:tok_[0-9a-f]{16}\])</option>", page)
    assert shown is not None
    size = site.gov.ledger.size()
    r = c.post(
        f"/console/proposals/{pid}/detokenize",
        data={
            "token": shown.group(1).replace("&#34;", '"'),
            "reason": "notify the user",
            "csrf_token": site.csrf(c),
        },
    )
    assert r.status_code == 200
    assert "jane.doe@example.com" in r.text
    assert site.gov.ledger.entry(size).type == "token.revealed"
    assert "jane.doe" not in site.gov.ledger.entry(size).data.decode()
    # without a reason: refused, nothing ledgered
    r = c.post(
        f"/console/proposals/{pid}/detokenize",
        data={"token": shown.group(1), "reason": "", "csrf_token": site.csrf(c)},
    )
    assert r.status_code == 400 and site.gov.ledger.size() == size + 1


def test_disposition_with_the_reason_taxonomy(site: Site) -> None:
    c = site.login("analyst")
    pid = site.scenario.proposals["isolate"]
    page = c.get(f"/console/proposals/{pid}").text
    assert "insufficient evidence" in page and "model error" in page
    r = c.post(
        f"/console/proposals/{pid}/dispose",
        data={
            "outcome": "rejected",
            "reason": "model_error",
            "rationale": "",
            "csrf_token": site.csrf(c),
        },
    )
    assert r.status_code == 400 and "rationale is required" in r.text
    r = c.post(
        f"/console/proposals/{pid}/dispose",
        data={
            "outcome": "rejected",
            "reason": "model_error",
            "rationale": "misread the tree",
            "csrf_token": site.csrf(c),
        },
    )
    assert r.status_code == 303
    assert site.gov.proposal_details(pid)["dispositions"][0]["reason"] == "model_error"


def test_rubber_stamp_warning_after_a_burst_of_fast_approvals(site: Site) -> None:
    alice = site.login("approver")
    made = []
    for i in range(5):
        made.append(
            site.gov.propose(
                site.tokens["agent"],
                case=f"case-burst-{i}",
                action="block_ip",
                target=f"ip:198.51.100.{i + 1}",
                confidence=0.9,
                rationale="scanner",
                evidence=[f"entry:{i}"],
            ).id
        )
    for pid in made:
        alice.get(f"/console/proposals/{pid}")
        site.clock.advance(seconds=2)
        alice.get(f"/console/proposals/{pid}/evidence/0")
        assert _decide(site, alice, pid, "approve", "ok").status_code == 303  # type: ignore[attr-defined]
    text = alice.get(f"/console/proposals/{site.scenario.proposals['isolate']}").text
    assert "looks like rubber-stamping" in text
    assert "5 of your last 5 decisions came less than 30 seconds" in text
    # another approver with no such pattern sees no warning
    carol = site.login("approver2")
    assert (
        "rubber-stamping"
        not in carol.get(f"/console/proposals/{site.scenario.proposals['isolate']}").text
    )
    # the window passes: the warning goes
    site.clock.advance(hours=2)
    alice = site.login("approver")
    later = site.gov.propose(
        site.tokens["agent"],
        case="case-late",
        action="block_ip",
        target="ip:198.51.100.99",
        confidence=0.9,
        rationale="scanner",
    ).id
    assert "rubber-stamping" not in alice.get(f"/console/proposals/{later}").text


@pytest.mark.parametrize(
    ("verdicts", "seconds", "opened", "expected"),
    [
        (["approve"] * 5, [2.0] * 5, [True] * 5, "less than 30 seconds"),
        (["approve"] * 5, [300.0] * 5, [False] * 5, "without opening"),
        (["approve"] * 5, [300.0] * 5, [True] * 5, None),
        (["approve"] * 3 + ["deny"] * 2, [2.0] * 5, [False] * 5, None),  # 60% approval
        (["approve"] * 4, [2.0] * 4, [False] * 4, None),  # too few
    ],
)
def test_rubber_stamp_rule(
    verdicts: list[str], seconds: list[float], opened: list[bool], expected: str | None
) -> None:
    from datetime import UTC, datetime

    now = datetime(2031, 1, 1, tzinfo=UTC)
    records = [
        DecisionRecord(f"p{i}", now - timedelta(minutes=i), v, s, o)
        for i, (v, s, o) in enumerate(zip(verdicts, seconds, opened, strict=True))
    ]
    signal = rubber_stamp(records, now, friction_rules().stamp)
    if expected is None:
        assert signal is None
    else:
        assert signal is not None and any(expected in r for r in signal.reasons)
