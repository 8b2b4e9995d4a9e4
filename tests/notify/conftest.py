"""A Governor with a settable clock and a cast, real receivers, and a notifier wired to them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from affidavit.config import Settings
from affidavit.connectors import InMemoryConnector
from affidavit.governance.governor import Governor
from affidavit.ledger.log import Ledger
from affidavit.notify import Notifier, NotifyState, parse_notify_config
from tests.governance.conftest import CONNECTORS, Cast, Clock, add_cast, make_governor
from tests.notify._receivers import HttpReceiver, SmtpReceiver

WEBHOOK_SECRET = "notify-webhook-secret-0123456789"
# Planted in params and rationale; no message may ever carry it, masked or not.
PLANTED = "ghp_Zq8mR2xT5vN1pL7kW3yB9cD4fH6jA0sE2uG8"
MARKER = "PLANTED-RATIONALE-MARKER"


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Clock:
    """The governance test clock; ``indirect`` parametrisation shifts it by whole years."""
    c = Clock()
    years = int(getattr(request, "param", 0))
    c.now = c.now.replace(year=c.now.year + years)
    return c


@pytest.fixture
def connectors() -> dict[str, InMemoryConnector]:
    return {name: InMemoryConnector(name) for name in CONNECTORS}


@pytest.fixture
def gov(
    ledger: Ledger, settings: Settings, clock: Clock, connectors: dict[str, InMemoryConnector]
) -> Governor:
    return make_governor(ledger, settings, clock, connectors)


@pytest.fixture
def cast(gov: Governor) -> Cast:
    return add_cast(gov)


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    yield receiver
    receiver.stop()


def notify_yaml(http: HttpReceiver, smtp_port: int, **changes: Any) -> dict[str, Any]:
    """A complete notify.yaml document: ir_lead on Slack and e-mail, escalating to the SOC
    managers on Teams; everything else (the fallback) on the signed webhook."""
    document: dict[str, Any] = {
        "console_url": "https://console.example.org/",
        "channels": {
            "ir-slack": {"type": "slack", "url": http.url("/slack")},
            "ir-mail": {
                "type": "email",
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "none",
                "from": "affidavit@example.org",
                "to": ["ir-leads@example.org"],
            },
            "managers": {"type": "teams", "url": http.url("/teams")},
            "soar": {"type": "webhook", "url": http.url("/hook"), "secret": WEBHOOK_SECRET},
        },
        "roles": {
            "approver:ir_lead": {
                "channels": ["ir-slack", "ir-mail"],
                "escalation": {"to": "approver:soc_manager", "lead_time": "15m"},
            },
            "approver:soc_manager": {"channels": ["managers"]},
        },
        "fallback": {
            "channels": ["soar"],
            "escalation": {"to": "approver:soc_manager", "lead_time": "10m"},
        },
        "digest": {"threshold": 5, "window": "10m"},
        "retry": {"max_attempts": 3, "backoff": "30s", "max_backoff": "5m"},
    }
    document.update(changes)
    return document


MakeNotifier = Callable[..., Notifier]


@pytest.fixture
def make_notifier(
    gov: Governor, clock: Clock, tmp_path: Path, http: HttpReceiver, smtp: SmtpReceiver
) -> Iterator[MakeNotifier]:
    made: list[tuple[Notifier, NotifyState]] = []

    def make(**changes: Any) -> Notifier:
        config = parse_notify_config(notify_yaml(http, smtp.port, **changes), environ={})
        state = NotifyState(tmp_path / "notify.db")
        notifier = Notifier(config, state, gov.ledger, gov, clock=clock)
        made.append((notifier, state))
        return notifier

    yield make
    for notifier, state in made:
        notifier.close()
        state.close()


@pytest.fixture
def notifier(make_notifier: MakeNotifier) -> Notifier:
    return make_notifier()


def propose_isolation(gov: Governor, cast: Cast, host: str = "pc-sales-0215") -> str:
    """A tier-2 request (one approval, no role constraint, expires in an hour)."""
    return gov.propose(
        cast.triage,
        case="CASE-N1",
        action="isolate_host",
        target=f"host:{host}",
        params={"comment": f"token {PLANTED}"},
        confidence=0.9,
        rationale=f"{MARKER} beaconing; found {PLANTED} in the script",
        evidence=["alert:n-1"],
    ).id


def propose_disable(gov: Governor, cast: Cast, user: str = "secret.person@corp.example") -> str:
    """A tier-3 request: one approver with approver:ir_lead, evidence viewed, one hour."""
    return gov.propose(
        cast.triage,
        case="CASE-N2",
        action="disable_account",
        target=f"user:{user}",
        params={"comment": f"password={PLANTED}"},
        confidence=0.95,
        rationale=f"{MARKER} impossible travel; session token {PLANTED}",
        evidence=["alert:n-2"],
    ).id
