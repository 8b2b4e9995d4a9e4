"""A live API over real HTTP on loopback: uvicorn in a thread around a Governor on the
test's database (SQLite, and PostgreSQL when configured), with a cast of identities."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn

from affidavit.api import ApiSettings, create_app
from affidavit.config import Settings
from affidavit.connectors import InMemoryConnector
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from affidavit.ledger.log import Ledger
from tests.conftest import configure

CONNECTORS = ("intel", "idp", "edr", "case", "ticketing", "webhook", "firewall", "email")
AGENT_SCOPES = ("enrich_ip_reputation", "add_case_note", "isolate_host", "block_ip")
ASSETS = [
    {"id": "pc-sales-0215", "kind": "host", "criticality": "medium", "environment": "prod"},
    {"id": "srv-db-01", "kind": "host", "criticality": "critical", "environment": "prod"},
]


class Clock:
    """A settable clock: tests never depend on the wall clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Live:
    url: str
    gov: Governor
    clock: Clock
    connectors: dict[str, InMemoryConnector]
    app: Any
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, who: str | None = None, **headers: str) -> httpx.Client:
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0)

    def size(self) -> int:
        return self.gov.ledger.size()


def serve_in_thread(app: Any) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    assert server.started, "uvicorn did not start"
    return f"http://127.0.0.1:{port}", server, thread


# Who's who: humans by role, an agent and an integration owned by olivia.
CAST: dict[str, Identity] = {
    "admin": Identity(id="root", kind="human", roles=("admin",)),
    "analyst": Identity(id="dave", kind="human", roles=("analyst",)),
    "approver": Identity(id="alice", kind="human", roles=("analyst", "approver:ir_lead")),
    "approver2": Identity(id="carol", kind="human", roles=("approver:ir_lead",)),
    "breakglass": Identity(id="bob", kind="human", roles=("approver:ir_lead", "breakglass")),
    "breakglass_only": Identity(id="bree", kind="human", roles=("breakglass",)),
    "auditor": Identity(id="audrey", kind="human", roles=("auditor",)),
    "detokenize": Identity(id="dana", kind="human", roles=("detokenize",)),
    "owner": Identity(id="olivia", kind="human", roles=("approver:ir_lead",)),
    "agent": Identity(
        id="triage",
        kind="agent",
        owner="olivia",
        scopes=AGENT_SCOPES,
        data_classes=("pii", "internal_identifier"),
    ),
    "agent2": Identity(
        id="responder", kind="agent", owner="olivia", scopes=AGENT_SCOPES, data_classes=()
    ),
    "integration": Identity(id="siem", kind="integration", owner="olivia", scopes=AGENT_SCOPES),
}


def add_cast(gov: Governor) -> dict[str, str]:
    tokens: dict[str, str] = {}
    for role in ("admin", "analyst", "approver", "approver2", "breakglass", "breakglass_only"):
        tokens[role] = gov.add_identity(CAST[role])[1]
    for role in ("auditor", "detokenize", "owner", "agent", "agent2", "integration"):
        tokens[role] = gov.add_identity(CAST[role])[1]
    return tokens


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api_settings() -> ApiSettings:
    return ApiSettings(rate_per_s=0, max_body_bytes=64 * 1024, poll_interval_s=0.02)


@pytest.fixture
def live(
    ledger: Ledger,
    settings: Settings,
    clock: Clock,
    api_settings: ApiSettings,
    request: pytest.FixtureRequest,
) -> Iterator[Live]:
    """The API on a thread; a test module's ``configuration`` fixture, when it has one,
    names governance configuration changes to publish first (tests.conftest.CONFIG_KEYS)."""
    connectors = {name: InMemoryConnector(name) for name in CONNECTORS}
    gov = Governor(ledger, settings, connectors=connectors, clock=clock)  # type: ignore[arg-type]
    try:
        changes = request.getfixturevalue("configuration")
    except pytest.FixtureLookupError:
        changes = {}
    if changes:
        configure(gov, **changes)
    tokens = add_cast(gov)
    app = create_app(gov, api_settings)
    url, server, thread = serve_in_thread(app)
    try:
        found = Live(url, gov, clock, connectors, app, tokens)
        with found.client("admin") as admin:
            assert admin.post("/v1/assets", json={"assets": ASSETS}).status_code == 201
        yield found
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def case_with_payloads(live: Live, case: str) -> str:
    """``case`` with payloads of its own (an agent's step naming the case), nothing of
    tier >= 3. Payloads are content-addressed: the same bytes in a held case would be
    held too, so the texts name the case."""
    live.gov.record_step(
        live.tokens["agent"],
        case=case,
        model="m",
        model_version="1",
        prompt=f"summarise {case}".encode(),
        output=f"findings of {case}".encode(),
    )
    return case
