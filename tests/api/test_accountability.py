"""Administration over the API is ledgered as the calling admin, never ``system:admin``
(issue 9, item 8); an agent whose owner was suspended is refused (item 7)."""

from __future__ import annotations

from tests.api.conftest import Live


def _last(live: Live) -> tuple[str, str]:
    entry = list(live.gov.ledger.entries())[-1]
    return entry.type, entry.actor


def test_admin_acts_over_the_api_name_the_calling_admin(live: Live) -> None:
    with live.client("admin") as admin:
        created = admin.post(
            "/v1/identities", json={"id": "erin", "kind": "human", "roles": ["analyst"]}
        )
        assert created.status_code == 201, created.text
        assert _last(live) == ("identity.created", "human:root")
        suspended = admin.post("/v1/identities/erin/status", json={"status": "suspended"})
        assert suspended.status_code == 200, suspended.text
        assert _last(live) == ("identity.suspended", "human:root")
        assert admin.post("/v1/identities/erin/rotate").status_code == 200
        assert _last(live) == ("identity.token_rotated", "human:root")
    actors = {e.actor for e in live.gov.ledger.entries()}
    assert "system:admin" not in actors
    assert actors >= {"human:root"}  # the asset import of the fixture, too


def test_an_agent_whose_owner_was_suspended_is_refused(live: Live) -> None:
    with live.client("admin") as admin:
        assert (
            admin.post("/v1/identities/olivia/status", json={"status": "suspended"}).status_code
            == 200
        )
    with live.client("agent") as agent:
        refused = agent.get("/v1/me")
        assert refused.status_code == 401
        assert "no active owner" in refused.text
