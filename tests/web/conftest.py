"""The console on a live server over loopback: uvicorn around a Governor with the API's cast,
and a scenario of pending proposals (tiers 2 and 3, a step with a model call, an alert)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from affidavit.api import ApiSettings, create_app
from affidavit.config import Settings
from affidavit.connectors import InMemoryConnector
from affidavit.governance.friction import FrictionRules, StampRules
from affidavit.governance.governor import Governor
from affidavit.ledger.log import Ledger
from affidavit.web import WebSettings
from tests.api.conftest import ASSETS, CONNECTORS, Clock, add_cast, serve_in_thread
from tests.conftest import TEST_DATA

ALERT_FILE = TEST_DATA / "alerts" / "vendor" / "defender_endpoint.json"
CASE = "case-web-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def console_settings() -> WebSettings:
    # Plain http on loopback: cookies without Secure (docs/console.md).
    return WebSettings(secure_cookies="false")


def friction_rules() -> FrictionRules:
    """Today's tiers; a rubber-stamp signal after five decisions in an hour (a short burst)."""
    return FrictionRules(
        stamp=StampRules(fast_s=30, min_decisions=5, approval_rate=0.9, window_s=3600)
    )


@dataclass
class Scenario:
    """Pending proposals by name: ``isolate`` (tier 2, medium host), ``critical`` (tier 2 on a
    critical host: two approvals), both by the agent triage (owner olivia); ``disable``
    (tier 3, needs the evidence viewed), by the analyst dave."""

    proposals: dict[str, str] = field(default_factory=dict)
    step: str = ""
    alert_ref: str = ""


@dataclass
class Site:
    url: str
    gov: Governor
    clock: Clock
    tokens: dict[str, str]
    scenario: Scenario
    app: Any
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self) -> httpx.Client:
        """A fresh cookie jar (closed when the test ends)."""
        c = httpx.Client(base_url=self.url, timeout=30.0, follow_redirects=False)
        self.clients.append(c)
        return c

    def login(self, who: str) -> httpx.Client:
        """A browser-like client signed in as ``who`` (a role of the cast)."""
        c = self.client()
        form = c.get("/console/login")
        assert form.status_code == 200, form.text
        token = CSRF.search(form.text)
        assert token is not None
        r = c.post(
            "/console/login",
            data={
                "csrf_token": token.group(1),
                "token": self.tokens[who],
                "next": "/console/queue",
            },
        )
        assert r.status_code == 303, r.text
        return c

    def csrf(self, c: httpx.Client, path: str = "/console/queue") -> str:
        found = CSRF.search(c.get(path).text)
        assert found is not None
        return found.group(1)


def build_scenario(gov: Governor, tokens: dict[str, str]) -> Scenario:
    scenario = Scenario()
    assert gov.ingest(ALERT_FILE.read_bytes(), case=CASE, actor="system:test")[0].seq is not None
    vendor_id = next(iter(gov.alerts_page(after=None, limit=1, case=CASE)))["alert"][
        "vendor_alert_id"
    ]
    scenario.alert_ref = f"alert:{vendor_id}"
    step = gov.record_step(
        tokens["agent"],
        case=CASE,
        model="gpt-test",
        model_version="2026-11",
        prompt=b"Triage the alert. Reporter: jane.doe@example.com",
        output=b"Isolate pc-sales-0215: beaconing to a known C2. Contact jane.doe@example.com",
        inputs=[b"process tree: powershell -enc ..."],
        data_classes=["pii"],
    )
    scenario.step = step.id
    common = {"case": CASE, "step": step.id, "evidence": [scenario.alert_ref, step.id]}
    scenario.proposals["isolate"] = gov.propose(
        tokens["agent"],
        action="isolate_host",
        target="host:pc-sales-0215",
        confidence=0.91,
        rationale="beaconing every 60 s to a known C2 address",
        **common,
    ).id
    scenario.proposals["critical"] = gov.propose(
        tokens["agent"],
        action="isolate_host",
        target="host:srv-db-01",
        confidence=0.88,
        rationale="the database server shows the same beacon",
        **common,
    ).id
    # A person (the analyst dave) proposes the tier-3 action: agents lack that scope.
    scenario.proposals["disable"] = gov.propose(
        tokens["analyst"],
        action="disable_account",
        target="user:jdoe",
        confidence=0.8,
        rationale="the account ran the encoded PowerShell",
        **common,
    ).id
    for name, pid in scenario.proposals.items():
        assert gov.proposal(pid).status == "pending_approval", name
    return scenario


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def site(ledger: Ledger, settings: Settings, clock: Clock) -> Iterator[Site]:
    connectors = {name: InMemoryConnector(name) for name in CONNECTORS}
    gov = Governor(
        ledger,
        settings,
        connectors=connectors,  # type: ignore[arg-type]
        clock=clock,
        friction=friction_rules(),
    )
    tokens = add_cast(gov)
    gov.import_assets_text(json.dumps(ASSETS), "yaml", "test")
    scenario = build_scenario(gov, tokens)
    app = create_app(
        gov,
        ApiSettings(rate_per_s=0, poll_interval_s=0.02),
        console=console_settings(),
    )
    url, server, thread = serve_in_thread(app)
    found = Site(url, gov, clock, tokens, scenario, app)
    try:
        yield found
    finally:
        for c in found.clients:
            c.close()
        server.should_exit = True
        thread.join(timeout=10)
