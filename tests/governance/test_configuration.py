"""The governance configuration: validated, published by an admin, ledgered, read from the
ledger only, and recorded with every decision. Each environment variable that used to
change what is allowed is an attack here: these tests failed while it did."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import configuration_text, configure
from tests.governance.conftest import Cast, Clock, add_cast, make_governor

from affidavit.config import Settings, load_settings
from affidavit.connectors import InMemoryConnector
from affidavit.errors import AuthError, Conflict
from affidavit.governance import configuration_store
from affidavit.governance.configuration import Configuration, ConfigurationError
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


# -- the model ---------------------------------------------------------------


def test_the_built_in_configuration_is_todays_defaults() -> None:
    config = Configuration.default()
    assert config.owner_may_approve is False
    assert config.authorization_ttl_s == 900
    assert config.breakglass_review_hours == 24
    assert config.token_ttl_days == 90
    assert config.spike_alerts_per_15m == 500
    assert config.auto_execute is True
    assert (config.evidence_required_tier, config.rationale_required_tier) == (2, 2)
    assert config.rubber_stamp.min_decisions == 8
    assert (config.retention.full_days, config.retention.short_days) == (2555, 30)
    assert config.catalog.get("delete_mailbox_items").tier == 4
    assert Configuration.parse("").settings() == config.settings()  # left out: built-in


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("approvals: {owner_may_approve: 'yes'}", "approvals.owner_may_approve"),
        ("approvals: {owner_may_approve: 1}", "approvals.owner_may_approve"),
        ("authorizations: {ttl_seconds: -5}", "authorizations.ttl_seconds"),
        ("authorizations: {ttl_seconds: .inf}", "authorizations.ttl_seconds"),
        ("tokens: {ttl_days: 'forever'}", "tokens.ttl_days"),
        ("approvals: {evidence_required_tier: 9}", "approvals.evidence_required_tier"),
        ("approvals: {rubber_stamp: {approval_rate: 2}}", "rubber_stamp.approval_rate"),
        ("alerts: {spike_per_15_minutes: 2.5}", "alerts.spike_per_15_minutes"),
        ("retention: {impact_days: 10, short_days: 30}", "short_days must not exceed"),
        ("approvals: {owner_may_aprove: true}", "unknown keys"),
        ("secrets: {}", "unknown sections"),
        ("version: 2", "version must be 1"),
        ("approvals: [1]", "approvals must be a mapping"),
        ("- a list", "a YAML mapping"),
        ("approvals: {", "not valid YAML"),
        ("catalog: {actions: [{id: wipe_host}]}", "wipe_host"),
    ],
)
def test_a_bad_configuration_is_one_clear_error(text: str, names: str) -> None:
    with pytest.raises(ConfigurationError, match=names) as caught:
        Configuration.parse(text)
    assert "\n" not in caught.value.message
    assert "forever" not in caught.value.message  # a rejected value is never echoed


def test_a_stable_action_keeps_its_tier() -> None:
    moved = EVIL_CATALOG.replace("delete_mailbox_items", "wipe_host").replace("mailbox]", "host]")
    text = "catalog:\n" + "\n".join("  " + line for line in moved.splitlines())
    with pytest.raises(ConfigurationError, match="must stay at tier 4"):
        Configuration.parse(text)


@settings(max_examples=40, deadline=None)
@given(
    owner=st.booleans(),
    ttl=st.floats(min_value=1, max_value=1e6),
    tier=st.integers(min_value=0, max_value=5),
    spike=st.integers(min_value=1, max_value=10**6),
    short=st.floats(min_value=1, max_value=100),
    extra=st.floats(min_value=0, max_value=1e4),
)
def test_the_settings_shown_publish_back_to_the_same_settings(
    owner: bool, ttl: float, tier: int, spike: int, short: float, extra: float
) -> None:
    config = Configuration.parse(
        yaml.safe_dump(
            {
                "approvals": {"owner_may_approve": owner, "evidence_required_tier": tier},
                "authorizations": {"ttl_seconds": ttl},
                "alerts": {"spike_per_15_minutes": spike},
                "retention": {"short_days": short, "impact_days": short + extra},
            }
        )
    )
    again = Configuration.parse(yaml.safe_dump(config.settings()))
    assert again.settings() == config.settings()
    assert again.catalog_hash == config.catalog_hash


# -- published, by an admin, ledgered, read from the ledger -------------------


def test_published_by_an_admin_ledgered_and_rebuilt(gov: Governor, cast: Cast) -> None:
    built_in = gov.configuration()
    assert built_in.hash == Configuration.default().hash
    text = configuration_text(owner_may_approve=True)
    with pytest.raises(AuthError, match="admin role"):
        gov.publish_configuration(text, token=cast.dave)  # an analyst
    with pytest.raises(AuthError, match="admin role"):
        gov.publish_configuration(text, token=cast.triage)
    _, ada = gov.add_identity(Identity(id="ada", kind="human", roles=("admin",)))
    digest = gov.publish_configuration(text, token=ada)
    assert gov.configuration().hash == digest and gov.configuration().owner_may_approve
    with pytest.raises(Conflict, match="already in force"):
        gov.publish_configuration(text)
    [entry] = _entries(gov, "configuration.published")
    assert entry["actor"] == "human:ada"
    assert entry["body"] == {
        "config_hash": digest,
        "catalog_hash": Configuration.default().catalog_hash,
    }
    assert gov.ledger.payload(digest).decode() == text  # the text, by its hash

    gov.publish_configuration("{}\n")  # back to the built-in values, then A again
    gov.publish_configuration(text)
    assert [h["config_hash"] for h in gov.configuration_history()][-1] == digest
    gov.rebuild_state()
    gov.configurations.forget_active()
    assert gov.configuration().hash == digest


def test_a_configuration_replaced_meanwhile_is_refused_inside_the_write(
    ledger: Ledger,
    settings: Settings,
    clock: Clock,
    connectors: dict[str, InMemoryConnector],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another process published while this one still trusted its cached configuration:
    the decision is refused, never recorded under the replaced configuration."""
    monkeypatch.setattr(configuration_store, "ACTIVE_CONFIG_TTL_S", 3600.0)  # a slow machine
    here = make_governor(ledger, settings, clock, connectors)
    cast = add_cast(here)
    pid = here.propose(
        cast.triage, case="C", action="block_ip", target="ip:203.0.113.9", evidence=["alert:1"]
    ).id
    here.open_evidence(cast.olivia, pid, 0)
    assert here.configuration().owner_may_approve is False  # cached now
    there = make_governor(ledger, settings, clock, connectors)
    configure(there, owner_may_approve=True)
    with pytest.raises(Conflict, match="configuration changed"):
        here.approve(cast.olivia, pid, rationale="my agent")
    here.approve(cast.olivia, pid, rationale="my agent")  # re-read: now allowed
    [granted] = _entries(here, "approval.granted")
    assert granted["actor"] == "human:olivia"
    assert granted["body"]["config_hash"] == there.configuration().hash  # type: ignore[index]


# -- recorded with every decision ------------------------------------------------


def test_every_decision_records_the_configuration_and_catalog_hashes(
    gov: Governor, cast: Cast
) -> None:
    digest = configure(gov, authorization_ttl_s=600)
    catalog = gov.configuration().catalog_hash
    allowed = gov.propose(
        cast.triage, case="C", action="enrich_ip_reputation", target="ip:203.0.113.1"
    )
    pending = gov.propose(
        cast.triage, case="C", action="block_ip", target="ip:203.0.113.2", evidence=["alert:2"]
    )
    for person in (cast.alice, cast.carol):
        gov.open_evidence(person, pending.id, 0)
        gov.approve(person, pending.id, rationale="c2")
    for entry in _entries(gov, "proposal.created"):
        decision = entry["body"]["decision"]  # type: ignore[index]
        assert (decision["config_hash"], decision["catalog_hash"]) == (digest, catalog)
    approvals = _entries(gov, "approval.granted")
    authorizations = _entries(gov, "authorization.issued")
    assert len(approvals) == 2 and len(authorizations) == 2
    for entry in approvals + authorizations:
        assert entry["body"]["config_hash"] == digest  # type: ignore[index]
    assert {a["body"]["proposal"] for a in authorizations} == {allowed.id, pending.id}  # type: ignore[index]
