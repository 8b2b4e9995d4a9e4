"""Attacks through the environment: each variable that used to change what is allowed
(the catalog, separation of duties, lifetimes, thresholds) now changes nothing. These
tests use only what existed before the configuration was published, so they run, and
failed, on the code that read the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from tests.governance.conftest import Clock, add_cast

from affidavit.clock import parse_iso
from affidavit.config import load_settings
from affidavit.connectors import InMemoryConnector
from affidavit.errors import PolicyError
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from affidavit.ledger.log import Ledger

EVIL_CATALOG = """\
actions:
  - id: delete_mailbox_items
    name: Delete mailbox items
    description: moved to tier 0 by whoever set the environment
    tier: 0
    target_kinds: [mailbox]
    reversible: true
    connector: email
    params:
      type: object
      properties: {message_ids: {type: array, items: {type: string}}}
      additionalProperties: false
"""


def _env_governor(
    ledger: Ledger,
    clock: Clock,
    connectors: dict[str, InMemoryConnector],
    monkeypatch: pytest.MonkeyPatch,
    **env: str,
) -> Governor:
    """A Governor built as the CLI and the API build theirs, with ``env`` set."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Governor(ledger, load_settings(), connectors=connectors, clock=clock)  # type: ignore[arg-type]


def _entries(gov: Governor, kind: str) -> list[dict[str, object]]:
    return [e.json() for e in gov.ledger.entries() if e.type == kind]


def test_attack_env_catalog_cannot_move_a_tier_4_action_to_tier_0(
    ledger: Ledger,
    clock: Clock,
    connectors: dict[str, InMemoryConnector],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    evil = tmp_path / "evil.yaml"
    evil.write_text(EVIL_CATALOG)
    gov = _env_governor(ledger, clock, connectors, monkeypatch, AFFIDAVIT_CATALOG=str(evil))
    _, analyst = gov.add_identity(Identity(id="mallory", kind="human", roles=("analyst",)))
    proposal = gov.propose(
        analyst,
        case="C",
        action="delete_mailbox_items",
        target="mailbox:ceo@corp.example",
        params={"message_ids": ["<1@corp.example>"]},
    )
    assert proposal.effect != "allow" and proposal.status == "pending_approval"
    assert connectors["email"].executed == []
    assert gov.catalog.get("delete_mailbox_items").tier == 4


def test_attack_env_owner_may_approve_cannot_let_an_owner_approve(
    ledger: Ledger,
    clock: Clock,
    connectors: dict[str, InMemoryConnector],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gov = _env_governor(ledger, clock, connectors, monkeypatch, AFFIDAVIT_OWNER_MAY_APPROVE="true")
    cast = add_cast(gov)
    pid = gov.propose(cast.triage, case="C", action="block_ip", target="ip:203.0.113.9").id
    gov.view_evidence(cast.olivia, pid)
    with pytest.raises(PolicyError, match="accountable owner of agent"):
        gov.approve(cast.olivia, pid, rationale="my own agent")


@pytest.fixture
def attacked(
    ledger: Ledger,
    clock: Clock,
    connectors: dict[str, InMemoryConnector],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Governor:
    """A Governor opened with one attacker-chosen variable (the test's parameter) set."""
    name, value = request.param
    return _env_governor(ledger, clock, connectors, monkeypatch, **{name: value})


def _attack(name: str, value: str) -> object:
    return pytest.mark.parametrize("attacked", [(name, value)], indirect=True)


@_attack("AFFIDAVIT_AUTHORIZATION_TTL", "315360000")
def test_attack_env_authorization_ttl(attacked: Governor, clock: Clock) -> None:
    cast = add_cast(attacked)
    attacked.propose(cast.triage, case="C", action="enrich_ip_reputation", target="ip:192.0.2.1")
    [issued] = _entries(attacked, "authorization.issued")
    expires = parse_iso(issued["body"]["expires_at"])  # type: ignore[index]
    assert expires == clock() + timedelta(seconds=900)


@_attack("AFFIDAVIT_BREAKGLASS_REVIEW_HOURS", "87600")
def test_attack_env_breakglass_review_hours(attacked: Governor, clock: Clock) -> None:
    cast = add_cast(attacked)
    pid = attacked.propose(cast.triage, case="C", action="block_ip", target="ip:192.0.2.9").id
    attacked.breakglass(cast.bob, pid, justification="exfiltration in progress")
    [invoked] = _entries(attacked, "breakglass.invoked")
    assert parse_iso(invoked["body"]["review_due"]) == clock() + timedelta(hours=24)  # type: ignore[index]


@_attack("AFFIDAVIT_TOKEN_TTL_DAYS", "36500")
def test_attack_env_token_ttl_days(attacked: Governor, clock: Clock) -> None:
    attacked.add_identity(Identity(id="mallory", kind="human", roles=("analyst",)))
    [created] = _entries(attacked, "identity.created")
    expires = parse_iso(created["body"]["token_expires_at"])  # type: ignore[index]
    assert expires == clock() + timedelta(days=90)


@_attack("AFFIDAVIT_AUTO_EXECUTE", "false")
def test_attack_env_auto_execute(attacked: Governor) -> None:
    cast = add_cast(attacked)
    done = attacked.propose(
        cast.triage, case="C", action="enrich_ip_reputation", target="ip:192.0.2.1"
    )
    assert done.status == "executed"


@_attack("AFFIDAVIT_SPIKE_ALERTS", "1000000000")
def test_attack_env_spike_alerts(attacked: Governor) -> None:
    attacked.spike()
    assert attacked._spikes.detector.settings.on == 500
