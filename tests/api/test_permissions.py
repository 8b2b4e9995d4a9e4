"""Every route × every role: 2xx when the role table allows it, 403 when not; and 401 for
no token, an expired, revoked or unknown token, a suspended identity, and an agent
whose owner is suspended. Over real HTTP against the live server."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

from affidavit.api import PERMISSIONS, api_roles
from affidavit.api.routes import ROUTERS, metrics
from affidavit.governance.identities import Identity
from affidavit.policy import PolicyBundle
from tests.api.conftest import CAST, Live, case_with_payloads
from tests.conftest import TEST_DATA

# One identity per API role (its only role where the cast allows).
REPRESENTATIVE = {
    "admin": "admin",
    "analyst": "analyst",
    "approver": "approver2",
    "breakglass": "breakglass_only",
    "auditor": "auditor",
    "detokenize": "detokenize",
    "agent": "agent",
    "integration": "integration",
}
FALCON = (TEST_DATA / "alerts" / "vendor" / "crowdstrike_falcon.json").read_bytes()
CASES = (Path(__file__).parents[2] / "src/affidavit/policy/default_tests.yaml").read_text()
_fresh = itertools.count()


@pytest.fixture
def configuration() -> dict[str, object]:
    # The executor route needs authorized proposals that have not run yet.
    return {"auto_execute": False}


Request = tuple[str, str, dict[str, Any]]
Factory = Callable[[Live, str], Request]


def _machine(who: str) -> bool:
    return who in ("agent", "integration")


def _proposal(live: Live, who: str = "agent", action: str = "isolate_host") -> str:
    target = "host:pc-sales-0215" if action == "isolate_host" else "ip:203.0.113.7"
    return live.gov.propose(
        live.tokens[who], case="C-base", action=action, target=target, evidence=["alert:p-1"]
    ).id


def _caller_proposal(live: Live, who: str) -> str:
    """An allowed proposal its proposer executes itself (as the MCP gateway does)."""
    proposer = who if _machine(who) else "agent"
    return live.gov.propose(
        live.tokens[proposer],
        case="C-base",
        action="enrich_ip_reputation",
        target=f"ip:203.0.113.{next(_fresh) % 250 + 1}",
        executor="caller",
    ).id


def _claimed(live: Live, who: str) -> str:
    proposer = who if _machine(who) else "agent"
    proposal = _caller_proposal(live, proposer)
    return live.gov.claim_execution(live.tokens[proposer], proposal, connector="gateway:t")


def _step(live: Live, who: str) -> Any:
    agent = who if _machine(who) else "agent"
    return live.gov.record_step(
        live.tokens[agent],
        case="C-base",
        model="m",
        model_version="1",
        prompt=b"summarise",
        output=b"nothing found",
    )


def _identity(live: Live) -> str:
    name = f"temp{next(_fresh)}"
    live.gov.add_identity(Identity(id=name, kind="human", roles=("analyst",)))
    return name


def _fresh_case(live: Live) -> str:
    return case_with_payloads(live, f"C-e{next(_fresh)}")


def _held(live: Live) -> str:
    case = _fresh_case(live)
    live.gov.hold_case(case, reason="litigation 7")  # the local operator
    return case


def _erasure_request(live: Live) -> str:
    # Requested by the local operator, so the admin over the API is a second person.
    return live.gov.request_erasure(case=_fresh_case(live), reason="subject request 3").id


def _owned(live: Live) -> str:
    name = f"bot{next(_fresh)}"
    live.gov.add_identity(Identity(id=name, kind="agent", owner="olivia"))
    return name


def _published(live: Live) -> str:
    text = live.gov.active_policy()[1] + f"\n// revision {next(_fresh)}\n"
    return live.gov.publish_policy(text)


REQUESTS: dict[str, Factory] = {
    "me": lambda live, who: ("GET", "/v1/me", {}),
    "alerts.ingest": lambda live, who: ("POST", "/v1/alerts", {"content": FALCON}),
    "alerts.list": lambda live, who: ("GET", "/v1/alerts", {}),
    "webhooks.ingest": lambda live, who: (
        "POST",
        "/v1/webhooks/alerts/crowdstrike_falcon",
        {"content": FALCON},
    ),
    "cases.list": lambda live, who: ("GET", "/v1/cases", {}),
    "cases.show": lambda live, who: ("GET", "/v1/cases/C-base", {}),
    "cases.timeline": lambda live, who: ("GET", "/v1/cases/C-base/timeline", {}),
    "steps.record": lambda live, who: (
        "POST",
        "/v1/steps",
        {"json": {"case": "C-s", "model": "m", "model_version": "1", "prompt": "p", "output": "o"}},
    ),
    "steps.prepare": lambda live, who: (
        "POST",
        "/v1/steps/prepare",
        {"json": {"case": "C-s", "model": "m", "model_version": "1", "prompt": "p"}},
    ),
    "steps.complete": lambda live, who: (
        "POST",
        "/v1/steps/"
        + live.gov.prepare_step(
            live.tokens[who if _machine(who) else "agent"],
            case="C-s",
            model="m",
            model_version="1",
            prompt="p",
        ).id
        + "/complete",
        {"json": {"output": "o"}},
    ),
    "steps.list": lambda live, who: ("GET", "/v1/steps", {}),
    "steps.show": lambda live, who: ("GET", f"/v1/steps/{_step(live, who).id}", {}),
    "payloads.show": lambda live, who: (
        "GET",
        f"/v1/payloads/{_step(live, who).prompt_sha256}",
        {},
    ),
    "proposals.create": lambda live, who: (
        "POST",
        "/v1/proposals",
        {"json": {"case": "C-p", "action": "enrich_ip_reputation", "target": "ip:203.0.113.7"}},
    ),
    "proposals.list": lambda live, who: ("GET", "/v1/proposals", {}),
    "proposals.show": lambda live, who: (
        "GET",
        f"/v1/proposals/{_proposal(live, who if _machine(who) else 'agent')}",
        {},
    ),
    "proposals.decision": lambda live, who: (
        "GET",
        f"/v1/proposals/{_proposal(live, who if _machine(who) else 'agent')}/decision",
        {},
    ),
    "proposals.evidence": lambda live, who: (
        "GET",
        f"/v1/proposals/{_proposal(live)}/evidence",
        {},
    ),
    "proposals.evidence_item": lambda live, who: (
        "GET",
        f"/v1/proposals/{_proposal(live)}/evidence/0",
        {},
    ),
    "proposals.approve": lambda live, who: (
        "POST",
        f"/v1/proposals/{_viewed(live, who)}/approve",
        {"json": {"rationale": "confirmed"}},
    ),
    "proposals.deny": lambda live, who: (
        "POST",
        f"/v1/proposals/{_proposal(live)}/deny",
        {"json": {"rationale": "benign"}},
    ),
    "proposals.breakglass": lambda live, who: (
        "POST",
        f"/v1/proposals/{_proposal(live)}/breakglass",
        {"json": {"justification": "ransomware spreading"}},
    ),
    "proposals.review": lambda live, who: (
        "POST",
        f"/v1/proposals/{_broken_glass(live)}/review",
        {"json": {"upheld": True, "rationale": "justified"}},
    ),
    "proposals.execute": lambda live, who: (
        "POST",
        f"/v1/proposals/{_proposal(live, action='enrich_ip_reputation')}/execute",
        {},
    ),
    "proposals.claim_execution": lambda live, who: (
        "POST",
        f"/v1/proposals/{_caller_proposal(live, who)}/executions",
        {"json": {"connector": "gateway:t"}},
    ),
    "executions.report": lambda live, who: (
        "POST",
        f"/v1/executions/{_claimed(live, who)}/report",
        {"json": {"status": "succeeded", "detail": {"step": "step_1"}}},
    ),
    "proposals.dispose": lambda live, who: (
        "POST",
        f"/v1/proposals/{_proposal(live)}/dispositions",
        {"json": {"outcome": "accepted", "reason": "true_positive"}},
    ),
    "reviews.list": lambda live, who: ("GET", "/v1/breakglass-reviews", {}),
    "executions.list": lambda live, who: ("GET", "/v1/executions", {}),
    "events": lambda live, who: ("GET", "/v1/events", {"params": {"max_seconds": 0.01}}),
    "detokenize": lambda live, who: (
        "POST",
        "/v1/detokenize",
        {
            "json": {
                "token": live.gov.minimiser.tokenizer.tokenize("pii", "email", "x@corp.example"),
                "reason": "legal hold request 12",
                "case": "C-base",
            }
        },
    ),
    "identities.list": lambda live, who: ("GET", "/v1/identities", {}),
    "identities.show": lambda live, who: ("GET", "/v1/identities/triage", {}),
    "identities.create": lambda live, who: (
        "POST",
        "/v1/identities",
        {"json": {"id": f"new{next(_fresh)}", "kind": "human", "roles": ["analyst"]}},
    ),
    "identities.status": lambda live, who: (
        "POST",
        f"/v1/identities/{_identity(live)}/status",
        {"json": {"status": "suspended"}},
    ),
    "identities.rotate": lambda live, who: (
        "POST",
        f"/v1/identities/{_identity(live)}/rotate",
        {},
    ),
    "assets.list": lambda live, who: ("GET", "/v1/assets", {}),
    "assets.import": lambda live, who: (
        "POST",
        "/v1/assets",
        {
            "json": {
                "assets": [{"id": "h1", "kind": "host", "criticality": "low", "environment": "dev"}]
            }
        },
    ),
    "policy.show": lambda live, who: ("GET", "/v1/policy", {}),
    "policy.history": lambda live, who: ("GET", "/v1/policy/bundles", {}),
    "policy.bundle": lambda live, who: ("GET", f"/v1/policy/bundles/{_published(live)}", {}),
    "policy.publish": lambda live, who: (
        "POST",
        "/v1/policy",
        {"json": {"text": live.gov.active_policy()[1] + f"\n// {next(_fresh)}\n"}},
    ),
    "policy.test": lambda live, who: ("POST", "/v1/policy/test", {"json": {"cases": CASES}}),
    "holds.list": lambda live, who: ("GET", "/v1/holds", {}),
    "holds.place": lambda live, who: (
        "POST",
        f"/v1/cases/{_fresh_case(live)}/hold",
        {"json": {"reason": "litigation 7"}},
    ),
    "holds.release": lambda live, who: (
        "POST",
        f"/v1/cases/{_held(live)}/release",
        {"json": {"reason": "settled"}},
    ),
    "erasures.erase": lambda live, who: (
        "POST",
        "/v1/erasures",
        {"json": {"case": _fresh_case(live), "reason": "subject request 3"}},
    ),
    "erasures.request": lambda live, who: (
        "POST",
        "/v1/erasure-requests",
        {"json": {"case": _fresh_case(live), "reason": "subject request 3"}},
    ),
    "erasures.pending": lambda live, who: ("GET", "/v1/erasure-requests", {}),
    "erasures.approve": lambda live, who: (
        "POST",
        f"/v1/erasure-requests/{_erasure_request(live)}/approve",
        {},
    ),
    "retention.sweep": lambda live, who: ("POST", "/v1/retention/sweep", {"json": {}}),
    "identities.transfer": lambda live, who: (
        "POST",
        f"/v1/identities/{_owned(live)}/owner",
        {"json": {"owner": "carol"}},
    ),
    "incidents.list": lambda live, who: ("GET", "/v1/incidents", {}),
    "configuration.show": lambda live, who: ("GET", "/v1/configuration", {}),
    "configuration.history": lambda live, who: ("GET", "/v1/configuration/versions", {}),
    "configuration.version": lambda live, who: (
        "GET",
        f"/v1/configuration/versions/{live.gov.configuration().hash}",
        {},
    ),
    "configuration.publish": lambda live, who: (
        "POST",
        "/v1/configuration",
        {"json": {"text": live.gov.configuration().text + f"\n# revision {next(_fresh)}\n"}},
    ),
    "ledger.checkpoint": lambda live, who: ("GET", "/v1/ledger/checkpoint", {}),
    "ledger.verifier_key": lambda live, who: ("GET", "/v1/ledger/verifier-key", {}),
    "ledger.entries": lambda live, who: ("GET", "/v1/ledger/entries", {}),
    "ledger.inclusion": lambda live, who: ("GET", "/v1/ledger/entries/0/proof", {}),
    "ledger.consistency": lambda live, who: ("GET", "/v1/ledger/consistency?old=1", {}),
    "metrics": lambda live, who: ("GET", "/metrics", {}),
}


def _viewed(live: Live, who: str) -> str:
    proposal = _proposal(live)
    live.gov.view_evidence(live.tokens[who], proposal)
    live.gov.open_evidence(live.tokens[who], proposal, 0)
    return proposal


def _broken_glass(live: Live) -> str:
    proposal = _proposal(live)
    live.gov.breakglass(live.tokens["breakglass"], proposal, justification="urgent")
    return proposal


def test_every_route_is_in_the_role_table_and_checks_it(live: Live) -> None:
    routers = (*ROUTERS, metrics)  # /metrics: outside /v1, checked like the rest
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    with live.client() as anyone:
        schema = anyone.get("/openapi.json").json()
    operations = {
        op["operationId"]: op
        for path, ops in schema["paths"].items()
        if path.startswith("/v1/") or path == "/metrics"
        for op in ops.values()
    }
    assert {r.name for r in routes} == set(operations) == set(PERMISSIONS) == set(REQUESTS)
    for name, op in operations.items():
        assert op["x-roles"] == sorted(PERMISSIONS[name])
    for route in routes:
        if route.name == "webhooks.ingest":
            continue  # checks the table itself (or an HMAC signature): tested below
        checks = [d.call for d in route.dependant.dependencies]
        assert any(getattr(c, "permission", None) == route.name for c in checks), route.path


def test_representatives_hold_exactly_their_role() -> None:
    for role, who in REPRESENTATIVE.items():
        assert api_roles(CAST[who]) == {role}, who


def test_route_by_role_matrix(live: Live) -> None:
    _proposal(live)  # case C-base exists
    failures = []
    for name, factory in REQUESTS.items():
        for role, who in REPRESENTATIVE.items():
            allowed = role in PERMISSIONS[name]
            method, path, kwargs = factory(live, who)
            with live.client(who) as client:
                response = client.request(method, path, **kwargs)
            ok = 200 <= response.status_code < 300 if allowed else response.status_code == 403
            if not ok:
                failures.append(f"{name} as {role}: {response.status_code} {response.text[:200]}")
            elif not allowed:
                assert response.json()["error"]["code"] == "forbidden"
    assert failures == [], "\n".join(failures)
    live.gov.ledger.verify()


def _all_requests(live: Live) -> list[tuple[str, Request]]:
    """One request per route, built before the caller's credentials change."""
    return [(name, factory(live, "agent")) for name, factory in REQUESTS.items()]


def _refused_everywhere(
    live: Live, requests: list[tuple[str, Request]], token: str | None, expected: int = 401
) -> None:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    for name, (method, path, kwargs) in requests:
        before = live.size()
        with live.client(**headers) as client:
            response = client.request(method, path, **kwargs)
        assert response.status_code == expected, (name, response.text)
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
        assert live.size() == before, f"{name} wrote to the ledger for a refused caller"


def test_no_token_or_an_unknown_token_is_401_everywhere(live: Live) -> None:
    requests = _all_requests(live)
    _refused_everywhere(live, requests, None)
    _refused_everywhere(live, requests, "afd_" + "x" * 43)
    _refused_everywhere(live, requests, "not-even-a-token")


def test_a_suspended_identity_is_refused_on_its_next_request(live: Live) -> None:
    requests = _all_requests(live)
    with live.client("agent") as agent:
        assert agent.get("/v1/me").status_code == 200
        with live.client("admin") as admin:
            r = admin.post("/v1/identities/triage/status", json={"status": "suspended"})
            assert r.status_code == 200, r.text
        assert agent.get("/v1/me").status_code == 401
    _refused_everywhere(live, requests, live.tokens["agent"])


def test_an_agent_whose_owner_is_suspended_is_refused(live: Live) -> None:
    requests = _all_requests(live)
    live.gov.set_identity_status("olivia", "suspended")
    _refused_everywhere(live, requests, live.tokens["agent"])
    _refused_everywhere(live, requests, live.tokens["integration"])


def test_a_revoked_token_is_refused(live: Live) -> None:
    requests = _all_requests(live)
    old = live.tokens["agent"]
    live.gov.rotate_token("triage")
    _refused_everywhere(live, requests, old)


def test_an_expired_token_is_refused(live: Live) -> None:
    requests = _all_requests(live)
    live.clock.advance(days=live.gov.configuration().token_ttl_days + 1)
    _refused_everywhere(live, requests, live.tokens["admin"])


def test_a_bundle_fixture_is_valid(live: Live) -> None:
    # The publish request above must be a valid bundle, or the matrix would test nothing.
    PolicyBundle.publish(live.gov.active_policy()[1] + "\n// x\n", live.gov.catalog)
