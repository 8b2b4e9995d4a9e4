from __future__ import annotations

from tests.api.conftest import Live


def test_agent_proposes_and_approver_approves(live: Live) -> None:
    with live.client("agent") as agent, live.client("approver") as alice:
        r = agent.post(
            "/v1/proposals",
            json={
                "case": "C-1",
                "action": "isolate_host",
                "target": "host:pc-sales-0215",
                "evidence": ["alert:smoke-1"],
            },
        )
        assert r.status_code == 201, r.text
        prop = r.json()
        assert prop["status"] == "pending_approval"
        r = alice.get(f"/v1/proposals/{prop['id']}/evidence/0")
        assert r.status_code == 200, r.text
        r = alice.post(f"/v1/proposals/{prop['id']}/approve", json={"rationale": "ok"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "executed"
    live.gov.ledger.verify()
