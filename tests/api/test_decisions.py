"""GET /v1/proposals/{id}/decision: the policy's recorded reasons, own proposals only
for agents (added for the gateways: a denied tool call says why)."""

from __future__ import annotations

from tests.api.conftest import Live


def test_decision_reasons_and_ownership(live: Live) -> None:
    denied = live.gov.propose(
        live.tokens["agent"], case="C-d", action="wipe_host", target="host:pc-sales-0215"
    )
    with live.client("agent") as agent:
        found = agent.get(f"/v1/proposals/{denied.id}/decision")
        assert found.status_code == 200
        body = found.json()
        assert body["proposal"] == denied.id and body["effect"] == "deny"
        assert any("never by an agent" in r for r in body["reasons"])
        assert "agent-never-tier-4" in body["determining_policies"]
        assert agent.get("/v1/proposals/prop_nope/decision").status_code == 404
        assert agent.get("/v1/proposals/..%2Fx/decision").status_code in (400, 404, 422)
    with live.client("agent2") as other:  # another agent's proposal does not exist for it
        assert other.get(f"/v1/proposals/{denied.id}/decision").status_code == 404
    with live.client("auditor") as auditor:
        assert auditor.get(f"/v1/proposals/{denied.id}/decision").json()["effect"] == "deny"
    with live.client() as nobody:
        assert nobody.get(f"/v1/proposals/{denied.id}/decision").status_code == 401
