"""The service's own behaviour over real HTTP: idempotency, pagination, health, the
two-phase step, long poll and events, signed webhooks, the ledger routes."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time

import httpx
import pytest

from affidavit.api import ApiSettings
from affidavit.api.webhooks import sign
from affidavit.ledger import merkle
from tests.api.conftest import Live
from tests.conftest import TEST_DATA

PROPOSAL = {
    "case": "C-1",
    "action": "isolate_host",
    "target": "host:pc-sales-0215",
    "evidence": ["alert:svc-1"],
}
FALCON = (TEST_DATA / "alerts" / "vendor" / "crowdstrike_falcon.json").read_bytes()


def test_health_readiness_and_schema(live: Live) -> None:
    with live.client() as anyone:
        assert anyone.get("/healthz").json() == {"status": "ok"}
        ready = anyone.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": True, "keys": True, "migrations": True}
        schema = anyone.get("/openapi.json").json()
    outside = {"/healthz", "/readyz", "/metrics"}  # probes and the Prometheus scrape
    assert all(path.startswith("/v1/") for path in schema["paths"] if path not in outside)
    assert "HTTPValidationError" not in json.dumps(schema)


def test_readiness_fails_when_a_key_is_unreadable(live: Live) -> None:
    key = live.gov.settings.vault_key_path
    moved = key.with_suffix(".moved")
    key.rename(moved)
    try:
        with live.client() as anyone:
            ready = anyone.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["keys"] is False
    finally:
        moved.rename(key)


def test_a_retried_create_makes_one_entry(live: Live) -> None:
    headers = {"Idempotency-Key": "retry-1"}
    with live.client("agent", **headers) as agent:
        first = agent.post("/v1/proposals", json=PROPOSAL)
        size = live.size()
        again = agent.post("/v1/proposals", json=PROPOSAL)
        assert live.size() == size
        assert again.status_code == first.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        other = agent.post("/v1/proposals", json={**PROPOSAL, "case": "C-2"})
        assert other.status_code == 409 and live.size() == size
    with live.client("agent2", **headers) as agent2:  # keys are per identity
        assert agent2.post("/v1/proposals", json=PROPOSAL).status_code == 201
    live.gov.ledger.verify()


def test_a_failed_create_releases_its_key(live: Live) -> None:
    with live.client("agent", **{"Idempotency-Key": "k2"}) as agent:
        bad = agent.post("/v1/proposals", json={**PROPOSAL, "action": "no_such_action"})
        assert bad.status_code == 400
        good = agent.post("/v1/proposals", json={**PROPOSAL, "action": "no_such_action"})
        assert good.status_code == 400  # re-run, not a replay
        assert "idempotent-replayed" not in good.headers
    with live.client("agent", **{"Idempotency-Key": "bad key!"}) as agent:
        assert agent.post("/v1/proposals", json=PROPOSAL).status_code == 400


def test_concurrent_retries_make_one_entry(live: Live) -> None:
    results: list[int] = []

    def post() -> None:
        with live.client("agent", **{"Idempotency-Key": "race"}) as agent:
            results.append(agent.post("/v1/proposals", json=PROPOSAL).status_code)

    size = live.size()
    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) <= {201, 409} and 201 in results
    created = [p for p in live.gov.proposals(case="C-1")]
    assert len(created) == 1
    assert live.size() > size


def test_pages_cover_everything_once(live: Live) -> None:
    for i in range(7):
        live.gov.propose(
            live.tokens["agent"],
            case=f"P-{i}",
            action="enrich_ip_reputation",
            target="ip:203.0.113.7",
            evidence=["alert:t-1"],
        )
    seen: list[str] = []
    cursor = None
    with live.client("auditor") as auditor:
        while True:
            params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
            body = auditor.get("/v1/proposals", params=params).json()
            seen += [p["id"] for p in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
    assert len(seen) == len(set(seen)) == 7


def test_prepare_then_complete_records_what_the_model_received(live: Live) -> None:
    secret = "AKIAIOSFODNN7EXAMPLE"
    prompt = f"Summarise: user logged in with key {secret} from 10.1.2.3"
    with live.client("agent") as agent:
        prepared = agent.post(
            "/v1/steps/prepare",
            json={"case": "C-7", "model": "gpt-x", "model_version": "2026-05", "prompt": prompt},
        )
        assert prepared.status_code == 201, prepared.text
        sent = prepared.json()
        assert secret not in sent["prompt"]
        done = agent.post(f"/v1/steps/{sent['step_id']}/complete", json={"output": "benign"})
        assert done.status_code == 201, done.text
        assert (
            agent.post(f"/v1/steps/{sent['step_id']}/complete", json={"output": "x"}).status_code
            == 409
        )
        payload = agent.get(f"/v1/payloads/{done.json()['prompt_sha256']}").json()
    assert base64.b64decode(payload["data_base64"]).decode() == sent["prompt"]
    entry = live.gov.ledger.entry(sent["seq"])
    body = entry.body
    assert entry.type == "step.prepared"
    assert body["prompt"] == hashlib.sha256(sent["prompt"].encode()).hexdigest()
    # The commitment to the original is keyed: its plain hash appears nowhere in the ledger.
    original = hashlib.sha256(
        json.dumps({"inputs": [], "prompt": prompt}, separators=(",", ":")).encode()
    ).hexdigest()
    everything = b"".join(e.data for e in live.gov.ledger.entries())
    assert secret.encode() not in everything
    assert original.encode() not in everything
    assert hashlib.sha256(prompt.encode()).hexdigest().encode() not in everything
    assert body["original"]["scheme"].startswith("hmac-sha256")
    with live.client("agent2") as other:  # another agent cannot complete it
        assert (
            other.post(f"/v1/steps/{sent['step_id']}/complete", json={"output": "x"}).status_code
            == 404
        )
    step = live.gov.step(sent["step_id"])
    assert step["prompt"] == body["prompt"]
    live.gov.ledger.verify()


def test_long_poll_returns_when_decided(live: Live) -> None:
    proposal = live.gov.propose(live.tokens["agent"], **PROPOSAL)
    alice = live.tokens["approver"]

    def decide() -> None:
        time.sleep(0.2)
        live.gov.view_evidence(alice, proposal.id)
        live.gov.open_evidence(alice, proposal.id, 0)
        live.gov.approve(alice, proposal.id, rationale="ok")

    threading.Thread(target=decide).start()
    with live.client("agent") as agent:
        decided = agent.get(f"/v1/proposals/{proposal.id}", params={"wait": 20})
    assert decided.json()["status"] == "executed"


def test_long_poll_answers_a_caller_executed_proposal_once_authorized(live: Live) -> None:
    # regression: with auto-execution on, the long poll waited for "executed", which a
    # proposal its caller executes never reaches by itself: an approved gated tool call
    # (MCP gateway, adapters) waited out the whole wait before running
    proposal = live.gov.propose(live.tokens["agent"], executor="caller", **PROPOSAL)
    alice = live.tokens["approver"]
    live.gov.view_evidence(alice, proposal.id)
    live.gov.open_evidence(alice, proposal.id, 0)
    live.gov.approve(alice, proposal.id, rationale="ok")
    # a client timeout far below the wait: only an answer that does not wait returns
    with live.client("agent") as agent:
        decided = agent.get(
            f"/v1/proposals/{proposal.id}", params={"wait": 600}, timeout=httpx.Timeout(10.0)
        )
    assert decided.json()["status"] == "authorized"
    assert live.gov.ledger.verify().size == live.size()


def test_events_stream_proposal_changes(live: Live) -> None:
    start = live.size() - 1
    proposal = live.gov.propose(live.tokens["agent"], **PROPOSAL)
    other = live.gov.propose(live.tokens["agent2"], **PROPOSAL)
    params = {"after": start, "max_seconds": 0.3}
    with live.client("agent") as agent, agent.stream("GET", "/v1/events", params=params) as r:
        text = "".join(r.iter_text())
    events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
    assert [e["proposal"] for e in events] == [proposal.id]  # its own only
    assert events[0]["type"] == "proposal.created"
    with (
        live.client("auditor") as auditor,
        auditor.stream(
            "GET", "/v1/events", params={"max_seconds": 0.3}, headers={"Last-Event-ID": str(start)}
        ) as r,
    ):
        text = "".join(r.iter_text())
    ids = [
        json.loads(line[6:])["proposal"] for line in text.splitlines() if line.startswith("data: ")
    ]
    assert ids == [proposal.id, other.id]


@pytest.fixture
def api_settings() -> ApiSettings:
    return ApiSettings(
        rate_per_s=0, max_body_bytes=64 * 1024, poll_interval_s=0.02, webhook_secret="s" * 32
    )


def _signed(live: Live, body: bytes, nonce: str, offset: float = 0) -> dict[str, str]:
    ts = int(live.clock().timestamp() + offset)
    return {
        "X-Affidavit-Timestamp": str(ts),
        "X-Affidavit-Nonce": nonce,
        "X-Affidavit-Signature": sign("s" * 32, ts, nonce, body),
        "Content-Type": "application/json",
    }


def test_signed_webhooks(live: Live) -> None:
    path = "/v1/webhooks/alerts/crowdstrike_falcon"
    with live.client() as sender:
        ok = sender.post(path, content=FALCON, headers=_signed(live, FALCON, "n" * 20))
        assert ok.status_code == 201, ok.text
        assert ok.json()["alerts"][0]["vendor"] == "crowdstrike_falcon"
        size = live.size()
        replay = sender.post(path, content=FALCON, headers=_signed(live, FALCON, "n" * 20))
        assert replay.status_code == 409
        stale = sender.post(path, content=FALCON, headers=_signed(live, FALCON, "m" * 20, -301))
        assert stale.status_code == 401
        forged = _signed(live, FALCON, "f" * 20)
        forged["X-Affidavit-Signature"] = "sha256=" + "0" * 64
        assert sender.post(path, content=FALCON, headers=forged).status_code == 401
        tampered = sender.post(path, content=FALCON + b" ", headers=_signed(live, FALCON, "t" * 20))
        assert tampered.status_code == 401
        wrong_vendor = sender.post(
            "/v1/webhooks/alerts/falco", content=FALCON, headers=_signed(live, FALCON, "v" * 20)
        )
        assert wrong_vendor.status_code == 400
        assert sender.post(path, content=FALCON).status_code == 401  # neither signed nor token
        assert live.size() == size
    with live.client("integration") as siem:
        assert siem.post(path, content=FALCON).status_code == 201


def test_ledger_routes_give_exact_bytes_and_proofs(live: Live) -> None:
    live.gov.propose(live.tokens["agent"], **PROPOSAL)
    with live.client("auditor") as auditor:
        items = auditor.get("/v1/ledger/entries", params={"limit": 500}).json()["items"]
        size = len(items)
        assert [e["seq"] for e in items] == list(range(size))
        leaves = [base64.b64decode(e["entry_base64"]) for e in items]
        assert all(
            merkle.leaf_hash(d).hex() == e["leaf_hash"] for d, e in zip(leaves, items, strict=True)
        )
        proof = auditor.get(f"/v1/ledger/entries/{size - 1}/proof").json()
        assert proof["root"] == live.gov.ledger.root(size).hex()
        consistency = auditor.get("/v1/ledger/consistency", params={"old": 1}).json()
        assert consistency["new_root"] == proof["root"]
        note = auditor.get("/v1/ledger/checkpoint").text
        assert f"\n{size}\n" in note
        assert auditor.get("/v1/ledger/checkpoint", params={"size": size}).text == note
        key = auditor.get("/v1/ledger/verifier-key").text.strip()
        assert key == live.gov.ledger.verifier_key
        timeline = auditor.get("/v1/cases/C-1/timeline").json()["items"]
        assert timeline[0]["type"] == "case.opened"
