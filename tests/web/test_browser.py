"""End to end in headless Chromium: people sign in, read, open evidence and decide; live
updates; separation of duties; friction; CSRF; the rubber-stamp warning; keyboard-only
approval; axe-core finds no serious or critical violation on any page.

One browser and one live server for the module (SQLite: the HTTP-level tests of the same
behaviour run on every backend); each test works on proposals of its own. Screenshots of
every page go to AFFIDAVIT_SCREENSHOTS (default: a pytest temporary directory).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from affidavit.api import ApiSettings, create_app
from affidavit.config import load_settings
from affidavit.connectors import InMemoryConnector
from affidavit.governance.governor import Governor
from affidavit.ledger.log import Ledger
from tests.api.conftest import ASSETS, CONNECTORS, Clock, add_cast, serve_in_thread
from tests.web.browser import ARGS, axe_script, require_chromium, serious_violations
from tests.web.conftest import (
    CASE,
    Scenario,
    build_scenario,
    console_settings,
    friction_rules,
)


@dataclass
class World:
    url: str
    gov: Governor
    clock: Clock
    tokens: dict[str, str]
    scenario: Scenario
    shots: Path
    axe: Path

    def propose(
        self,
        case: str,
        target: str,
        *,
        agent: str = "agent",
        action: str = "isolate_host",
        evidence: list[str] | None = None,
    ) -> str:
        return self.gov.propose(
            self.tokens[agent],
            case=case,
            action=action,
            target=target,
            confidence=0.87,
            rationale="beaconing to a known C2 address",
            step=None,
            evidence=evidence
            if evidence is not None
            else [self.scenario.alert_ref, self.scenario.step],
        ).id


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("console-home")
    settings = load_settings(
        {
            "AFFIDAVIT_HOME": str(home),
            "AFFIDAVIT_DATABASE_URL": f"sqlite:///{home / 'a.db'}",
            "AFFIDAVIT_CHECKPOINT_INTERVAL": "0",
        }
    )
    shots = Path(os.environ.get("AFFIDAVIT_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    clock = Clock()
    with Ledger.open(settings) as ledger:
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
            gov, ApiSettings(rate_per_s=0, poll_interval_s=0.05), console=console_settings()
        )
        url, server, thread = serve_in_thread(app)
        try:
            yield World(url, gov, clock, tokens, scenario, shots, axe_script())
        finally:
            server.should_exit = True
            thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_chromium()
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(executable), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Any]:
    contexts = []

    def make(**options: Any) -> Page:
        context = browser.new_context(viewport={"width": 1360, "height": 900}, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(world: World, page: Page, who: str) -> None:
    page.goto(f"{world.url}/console/login")
    page.get_by_label("Identity token").fill(world.tokens[who])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Approval queue")).to_be_visible()


def shot(world: World, page: Page, name: str) -> None:
    page.screenshot(path=str(world.shots / f"{name}.png"), full_page=True)


def test_two_approvers_complete_a_quorum_and_the_execution_is_on_the_timeline(
    world: World, new_page: Any
) -> None:
    pid = world.propose("case-e2e-quorum", "host:srv-db-01")  # critical: two approvals
    alice = new_page()
    sign_in(world, alice, "approver")
    shot(world, alice, "queue")
    alice.get_by_role("link", name="isolate_host").first.wait_for()
    alice.goto(f"{world.url}/console/proposals/{pid}")
    expect(alice.locator("#friction")).to_be_visible()
    # approving without opening evidence is refused
    alice.locator("#rationale").fill("the beacon matches")
    alice.get_by_role("button", name="Approve").click()
    expect(alice.locator("#decide-error")).to_contain_text("open at least one evidence item")
    assert world.gov.proposal_details(pid)["approvals"] == []
    alice.get_by_role("link", name=world.scenario.alert_ref).click()
    expect(alice.get_by_role("status")).to_contain_text("recorded in the ledger")
    shot(world, alice, "evidence")
    alice.get_by_role("link", name="Back to the proposal").click()
    alice.locator("#rationale").fill("the beacon matches the alert's process tree")
    alice.get_by_role("button", name="Approve").click()
    expect(alice.get_by_role("status").first).to_contain_text("approval is recorded")
    assert world.gov.proposal(pid).status == "pending_approval"
    carol = new_page()
    sign_in(world, carol, "approver2")
    carol.goto(f"{world.url}/console/proposals/{pid}")
    carol.get_by_role("link", name=world.scenario.step).click()
    carol.get_by_role("link", name="Back to the proposal").click()
    shot(world, carol, "proposal")
    carol.locator("#rationale").fill("agreed: the database server is beaconing")
    carol.get_by_role("button", name="Approve").click()
    expect(carol.locator(".status-executed").first).to_be_visible()
    carol.get_by_role("link", name="case-e2e-quorum").first.click()
    expect(carol.locator(".timeline")).to_contain_text("Execution")
    shot(world, carol, "case")


def test_the_requesting_analyst_sees_the_separation_of_duties_reason(
    world: World, new_page: Any
) -> None:
    dave = new_page()
    sign_in(world, dave, "analyst")
    dave.goto(f"{world.url}/console/proposals/{world.scenario.proposals['disable']}")
    expect(dave.locator("#sod-reason")).to_contain_text("You requested this action")
    expect(dave.get_by_role("button", name="Approve")).to_have_count(0)
    shot(world, dave, "separation-of-duties")


def test_an_agent_token_cannot_sign_in(world: World, new_page: Any) -> None:
    page = new_page()
    page.goto(f"{world.url}/console/login")
    page.get_by_label("Identity token").fill(world.tokens["agent"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("cannot sign in")
    shot(world, page, "login-refused")
    page.goto(f"{world.url}/console/queue")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_post_without_the_csrf_token_is_rejected(world: World, new_page: Any) -> None:
    pid = world.propose("case-e2e-csrf", "host:pc-sales-0215")
    page = new_page()
    sign_in(world, page, "approver")
    status = page.evaluate(
        """(pid) => fetch('/console/proposals/' + pid + '/decide', {method: 'POST',
             body: new URLSearchParams({verdict: 'deny', rationale: 'forged'})}).then(r => r.status)""",
        pid,
    )
    assert status == 403
    assert world.gov.proposal(pid).status == "pending_approval"


def test_the_queue_updates_live_without_reloading(world: World, new_page: Any) -> None:
    page = new_page()
    sign_in(world, page, "approver")
    page.evaluate("() => { window.__sameDocument = true; }")
    world.propose("case-e2e-live", "ip:203.0.113.77", action="block_ip", evidence=[])
    expect(page.locator("#queue-rows")).to_contain_text("ip:203.0.113.77", timeout=10_000)
    assert page.evaluate("() => window.__sameDocument === true")


def test_keyboard_only_approval(world: World, new_page: Any) -> None:
    pid = world.propose("case-e2e-keys", "host:pc-sales-0215", evidence=[world.scenario.alert_ref])
    page = new_page()

    def tab_to(selector: str, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(
                "(s) => document.activeElement && document.activeElement.matches(s)", selector
            ):
                return
        raise AssertionError(f"Tab never reached {selector}")

    page.goto(f"{world.url}/console/login")
    tab_to("#token")
    page.keyboard.type(world.tokens["approver2"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Approval queue")).to_be_visible()

    def follow() -> None:
        with page.expect_navigation():
            page.keyboard.press("Enter")

    tab_to(f'a[href="/console/proposals/{pid}"]')
    follow()
    tab_to('a[href$="/evidence/0"]')
    follow()
    tab_to(f'a[href="/console/proposals/{pid}"]')
    follow()
    tab_to("#rationale")
    page.keyboard.type("read the alert: beaconing confirmed")
    tab_to("#approve")
    page.keyboard.press("Enter")
    expect(page.locator(".notice").first).to_contain_text("approval is recorded")
    assert world.gov.proposal(pid).status == "executed"


def test_rubber_stamp_warning_after_a_burst_of_fast_approvals(world: World, new_page: Any) -> None:
    page = new_page()
    sign_in(world, page, "breakglass")  # bob: an approver with no decisions yet
    burst = [
        world.propose(
            f"case-e2e-burst-{i}",
            f"ip:198.51.100.{10 + i}",
            action="block_ip",
            evidence=[f"entry:{i}"],
        )
        for i in range(5)
    ]
    for pid in burst:
        page.goto(f"{world.url}/console/proposals/{pid}")
        world.clock.advance(seconds=3)  # the injected clock: three seconds per decision
        page.get_by_role("link", name="entry:").first.click()
        page.get_by_role("link", name="Back to the proposal").click()
        page.locator("#rationale").fill("ok")
        page.get_by_role("button", name="Approve").click()
        expect(page.locator(".notice").first).to_be_visible()
    nxt = world.propose("case-e2e-burst-next", "host:pc-sales-0215")
    page.goto(f"{world.url}/console/proposals/{nxt}")
    warning = page.locator("#stamp-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("5 of your last 5 decisions came less than 30 seconds")
    shot(world, page, "rubber-stamp-warning")


def test_every_page_has_no_serious_accessibility_violation(world: World, new_page: Any) -> None:
    gov = world.gov
    pid = world.scenario.proposals["isolate"]
    gov.publish_policy(gov.active_policy()[1], token=world.tokens["admin"])
    pages = {
        "login": ("analyst", "/console/login"),
        "queue": ("approver", "/console/queue"),
        "proposal": ("approver", f"/console/proposals/{pid}"),
        "evidence": ("approver", f"/console/proposals/{pid}/evidence/1"),
        "cases": ("analyst", "/console/cases"),
        "case": ("analyst", f"/console/cases/{CASE}"),
        "identities": ("admin", "/console/identities"),
        "policy": ("analyst", "/console/policy"),
        "ledger": ("auditor", "/console/ledger"),
        "ledger-entry": ("auditor", "/console/ledger/entries/3"),
        "health": ("auditor", "/console/health"),
        "not-found": ("analyst", "/console/cases/no-such-case"),
    }
    found: dict[str, list[str]] = {}
    signed: dict[str, Page] = {}
    for name, (who, path) in pages.items():
        # bypass_csp: the test injects axe-core as an inline script, which our CSP forbids.
        if name == "login":
            page = new_page(bypass_csp=True)
        else:
            page = signed.get(who)
            if page is None:
                page = signed[who] = new_page(bypass_csp=True)
                sign_in(world, page, who)
        page.goto(f"{world.url}{path}")
        if name == "health":
            expect(page.locator('[data-drawn="true"]')).to_have_count(4)
        shot(world, page, f"page-{name}")
        violations = serious_violations(page, world.axe)
        if violations:
            found[name] = violations
    assert not found, found


def test_charts_draw_offline_under_the_content_security_policy(world: World, new_page: Any) -> None:
    page = new_page()
    outside: list[str] = []

    def only_loopback(route: Any) -> None:
        if route.request.url.startswith(world.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(world, page, "auditor")
    page.goto(f"{world.url}/console/health")
    expect(page.locator('[data-drawn="true"]')).to_have_count(4)
    assert outside == [] and errors == []
    shot(world, page, "health")
