"""Hostile and malformed input at the API: clear 4xx, JSON errors, nothing written."""

from __future__ import annotations

import socket

import pytest

from tests.api.conftest import Live

PROPOSAL = {"case": "C-1", "action": "enrich_ip_reputation", "target": "ip:203.0.113.7"}


def _refused(live: Live, who: str, method: str, path: str, status: int, **kwargs: object) -> dict:
    before = live.size()
    with live.client(who) as client:
        response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert "Traceback" not in response.text
    assert live.size() == before
    return body["error"]


def test_malformed_json_is_400(live: Live) -> None:
    error = _refused(
        live,
        "agent",
        "POST",
        "/v1/proposals",
        400,
        content=b'{"case": "C-1", ',
        headers={"Content-Type": "application/json"},
    )
    assert error["code"] == "invalid_input"


@pytest.mark.parametrize(
    "change",
    [
        {"confidence": "very"},
        {"confidence": 1.5},
        {"case": 7},
        {"params": []},
        {"evidence": "one"},
        {"target": ""},
        {"action": "x" * 65},
    ],
)
def test_wrong_types_and_ranges_are_400(live: Live, change: dict) -> None:
    error = _refused(live, "agent", "POST", "/v1/proposals", 400, json={**PROPOSAL, **change})
    assert error["code"] == "invalid_input"


def test_unknown_fields_are_refused(live: Live) -> None:
    error = _refused(
        live, "agent", "POST", "/v1/proposals", 400, json={**PROPOSAL, "approved": True}
    )
    assert "approved" in error["message"]


def test_secrets_in_rejected_values_are_not_echoed(live: Live) -> None:
    secret = "AKIAIOSFODNN7EXAMPLE"
    error = _refused(
        live, "agent", "POST", "/v1/proposals", 400, json={**PROPOSAL, "case": secret + " x"}
    )
    assert secret not in error["message"]


def test_an_oversized_body_is_413_before_it_is_read(live: Live) -> None:
    big = {**PROPOSAL, "rationale": "x" * (live.gov.settings and 70 * 1024)}
    error = _refused(live, "agent", "POST", "/v1/proposals", 413, json=big)
    assert error["code"] == "too_large"
    # A declared length over the limit is refused without reading the body at all.
    host, port = live.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/proposals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 999999999\r\n\r\n{"
        )
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413")


def test_a_chunked_oversized_body_is_413(live: Live) -> None:
    def chunks():  # no Content-Length: the limit is enforced while streaming
        for _ in range(100):
            yield b"x" * 1024

    error = _refused(
        live,
        "agent",
        "POST",
        "/v1/proposals",
        413,
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert error["code"] == "too_large"


@pytest.mark.parametrize(
    "name",
    ["аdmin", "r\u043eot", "root\u200b", "ROOT", "root ", "ro/ot", "", "x" * 129],
)
def test_unicode_look_alike_and_malformed_identity_names_are_refused(live: Live, name: str) -> None:
    _refused(
        live,
        "admin",
        "POST",
        "/v1/identities",
        400,
        json={"id": name, "kind": "human", "roles": ["admin"]},
    )


def test_look_alike_case_ids_are_refused(live: Live) -> None:
    _refused(live, "agent", "POST", "/v1/proposals", 400, json={**PROPOSAL, "case": "C‐1"})


def test_unknown_routes_and_methods_are_json(live: Live) -> None:
    assert _refused(live, "agent", "GET", "/v1/nothing", 404)["code"] == "not_found"
    assert _refused(live, "agent", "DELETE", "/v1/proposals", 405)["code"] == "method_not_allowed"


def test_bad_cursors_and_limits_are_400(live: Live) -> None:
    _refused(live, "admin", "GET", "/v1/proposals?cursor=%%%", 400)
    _refused(live, "admin", "GET", "/v1/proposals?cursor=eyJ4IjoxfQ", 400)
    _refused(live, "admin", "GET", "/v1/proposals?limit=501", 400)
    _refused(live, "admin", "GET", "/v1/proposals?limit=0", 400)


def test_an_agent_cannot_create_identities_approve_or_read_others_payloads(live: Live) -> None:
    proposal = live.gov.propose(
        live.tokens["agent2"], case="C-9", action="isolate_host", target="host:pc-sales-0215"
    )
    step = live.gov.record_step(
        live.tokens["agent2"],
        case="C-9",
        model="m",
        model_version="1",
        prompt=b"private prompt of responder",
        output=b"o",
    )
    _refused(
        live,
        "agent",
        "POST",
        "/v1/identities",
        403,
        json={"id": "evil", "kind": "human", "roles": ["approver:ir_lead"]},
    )
    _refused(live, "agent", "POST", f"/v1/proposals/{proposal.id}/approve", 403, json={})
    _refused(
        live,
        "agent",
        "POST",
        f"/v1/proposals/{proposal.id}/breakglass",
        403,
        json={"justification": "x"},
    )
    _refused(live, "agent", "POST", f"/v1/proposals/{proposal.id}/execute", 403)
    _refused(live, "agent", "GET", f"/v1/payloads/{step.prompt_sha256}", 404)
    _refused(live, "agent", "GET", f"/v1/steps/{step.id}", 404)
    _refused(live, "agent", "GET", f"/v1/proposals/{proposal.id}", 404)
    with live.client("agent") as agent:
        mine = agent.get("/v1/proposals").json()["items"]
    assert all(p["proposer_id"] == "triage" for p in mine)
    live.gov.ledger.verify()


def test_rate_limit_is_429_with_retry_after(live: Live) -> None:
    from affidavit.api.ratelimit import RateLimiter, RateWindows

    # The server's limiter on the test's clock: 2 requests per 2-second window.
    live.app.state.limiter = RateLimiter(
        rate=1.0,
        burst=2,
        windows=RateWindows(live.gov.ledger.db),
        clock=lambda: live.clock().timestamp(),
    )
    with live.client("agent") as agent:
        assert agent.get("/v1/me").status_code == 200
        live.clock.advance(seconds=1)
        assert agent.get("/v1/me").status_code == 200
        refused = agent.get("/v1/me")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"  # the window ends in 1 s
        assert refused.json()["error"]["code"] == "rate_limited"
        with live.client("approver") as other:  # per identity
            assert other.get("/v1/me").status_code == 200
        live.clock.advance(seconds=1)
        assert agent.get("/v1/me").status_code == 200
