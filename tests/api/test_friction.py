"""Friction over the API and the SDK, not just the console: a tier-2 approval without an
evidence item opened, or without a rationale, is refused with nothing written."""

from __future__ import annotations

import pytest

from affidavit import Client
from affidavit.errors import InputError, PolicyError
from tests.api.conftest import Live


def _pending(live: Live, evidence: list[str] | None = None) -> str:
    return live.gov.propose(
        live.tokens["agent"],
        case="C-friction",
        action="isolate_host",
        target="host:pc-sales-0215",
        confidence=0.9,
        evidence=["alert:def-1", "entry:0"] if evidence is None else evidence,
    ).id


def test_an_approval_over_http_without_an_item_opened_is_refused(live: Live) -> None:
    pid = _pending(live)
    with live.client("approver") as alice:
        size = live.size()
        r = alice.post(f"/v1/proposals/{pid}/approve", json={"rationale": "looks fine"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "policy_error"
        assert "open at least one evidence item" in r.json()["error"]["message"]
        assert alice.get(f"/v1/proposals/{pid}/evidence").status_code == 200  # the list
        r = alice.post(f"/v1/proposals/{pid}/approve", json={"rationale": "looks fine"})
        assert r.status_code == 403, "opening the list as a whole is not reading an item"
        assert live.size() == size + 1  # the list view; no approval
        opened = alice.get(f"/v1/proposals/{pid}/evidence/1")
        assert opened.status_code == 200
        assert opened.json() == {"proposal": pid, "item": 1, "reference": "entry:0"}
        assert alice.get(f"/v1/proposals/{pid}/evidence/2").status_code == 400
        r = alice.post(f"/v1/proposals/{pid}/approve", json={"rationale": "beacon confirmed"})
        assert r.status_code == 200, r.text
    approval = [e for e in live.gov.ledger.entries() if e.type == "approval.granted"][-1]
    assert approval.body["seconds_from_first_view"] == 0  # the test clock did not move
    live.gov.ledger.verify()


def test_an_approval_over_http_without_a_rationale_is_refused(live: Live) -> None:
    pid = _pending(live)
    with live.client("approver") as alice:
        assert alice.get(f"/v1/proposals/{pid}/evidence/0").status_code == 200
        size = live.size()
        for body in ({}, {"rationale": ""}, {"rationale": "   "}):
            r = alice.post(f"/v1/proposals/{pid}/approve", json=body)
            assert r.status_code == 400, body
            assert "rationale is required" in r.json()["error"]["message"]
        assert live.size() == size
    assert live.gov.proposal(pid).status == "pending_approval"


def test_the_sdk_obeys_the_same_friction(live: Live) -> None:
    pid = _pending(live)
    bare = _pending(live, evidence=[])
    with Client(live.url, live.tokens["approver"]) as alice:
        with pytest.raises(PolicyError, match="open at least one evidence item"):
            alice.approve(pid, rationale="ok")
        alice.view_evidence(pid)
        with pytest.raises(PolicyError, match="open at least one evidence item"):
            alice.approve(pid, rationale="ok")
        assert alice.open_evidence(pid, 0)["reference"] == "alert:def-1"
        with pytest.raises(InputError, match="rationale is required"):
            alice.approve(pid, rationale="")
        assert alice.approve(pid, rationale="C2 confirmed in the EDR").status in (
            "authorized",
            "executed",
        )
        with pytest.raises(PolicyError, match="cites no evidence"):
            alice.approve(bare, rationale="trust the agent")


def test_agents_cannot_open_evidence_items(live: Live) -> None:
    pid = _pending(live)
    with live.client("agent") as agent:
        assert agent.get(f"/v1/proposals/{pid}/evidence/0").status_code == 403
