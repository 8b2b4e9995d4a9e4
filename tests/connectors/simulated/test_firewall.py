"""The simulated firewall: each block is a rule with an expiry."""

from __future__ import annotations

import pytest

from affidavit.connectors import SimulatedFirewall
from affidavit.connectors._tables import sim_firewall_rules
from affidavit.errors import InputError
from affidavit.store import Database
from tests.connectors._shared import Clock, make_request, rows


@pytest.fixture
def firewall(db: Database, clock: Clock) -> SimulatedFirewall:
    return SimulatedFirewall(db, clock=clock)


def test_block_ip_creates_a_rule_that_expires(firewall: SimulatedFirewall, db: Database) -> None:
    request = make_request(
        "block_ip", "ip:203.0.113.7", {"ttl_seconds": 3600, "direction": "inbound"}
    )
    result = firewall.execute(request)
    [rule] = rows(db, sim_firewall_rules)
    assert result.external_ref == result.detail["rule"] == f"fw-rule-{rule['id']}"
    assert (rule["value"], rule["direction"], rule["execution_id"]) == (
        "203.0.113.7",
        "inbound",
        request.execution_id,
    )
    assert rule["created_at"] == "2027-01-15T08:00:00.000000Z"
    assert rule["expires_at"] == result.detail["expires_at"] == "2027-01-15T09:00:00.000000Z"
    assert result.detail["previous"] == {"active_rules": 0, "latest_expiry": None}


def test_block_ip_without_ttl_lasts_a_day(firewall: SimulatedFirewall, db: Database) -> None:
    result = firewall.execute(make_request("block_ip", "ip:2001:DB8:0:0::1"))
    assert result.detail["value"] == "2001:db8::1"  # normalised
    assert result.detail["direction"] == "both"
    assert rows(db, sim_firewall_rules)[0]["expires_at"] == "2027-01-16T08:00:00.000000Z"


def test_the_previous_state_counts_only_unexpired_rules(
    firewall: SimulatedFirewall, clock: Clock
) -> None:
    firewall.execute(make_request("block_ip", "ip:198.51.100.1", {"ttl_seconds": 60}))
    clock.now += 30
    second = firewall.execute(make_request("block_ip", "ip:198.51.100.1", {"ttl_seconds": 600}))
    assert second.detail["previous"] == {
        "active_rules": 1,
        "latest_expiry": "2027-01-15T08:01:00.000000Z",
    }
    clock.now += 3600
    third = firewall.execute(make_request("block_ip", "ip:198.51.100.1"))
    assert third.detail["previous"]["active_rules"] == 0


def test_block_domain_needs_a_ttl_and_normalises_the_name(
    firewall: SimulatedFirewall, db: Database
) -> None:
    with pytest.raises(InputError, match="ttl_seconds"):
        firewall.execute(make_request("block_domain", "domain:evil.example.net"))
    result = firewall.execute(
        make_request(
            "block_domain",
            "domain:Bücher.Example.",
            {"ttl_seconds": 120, "include_subdomains": True},
        )
    )
    assert result.detail["value"] == "xn--bcher-kva.example"
    assert rows(db, sim_firewall_rules)[0]["include_subdomains"] is True


def test_a_repeated_execution_adds_no_second_rule(
    firewall: SimulatedFirewall, db: Database
) -> None:
    request = make_request("block_ip", "ip:192.0.2.10")
    first = firewall.execute(request)
    assert firewall.execute(request) == first
    assert len(rows(db, sim_firewall_rules)) == 1


@pytest.mark.parametrize(
    ("action", "target", "params", "message"),
    [
        ("block_ip", "ip:not-an-ip", {}, "not an IP"),
        ("block_ip", "ip:10.0.0.0/8", {}, "not an IP"),
        ("block_ip", "ip:203.0.113.7", {"ttl_seconds": 59}, "ttl_seconds"),
        ("block_ip", "ip:203.0.113.7", {"ttl_seconds": 2_592_001}, "ttl_seconds"),
        ("block_ip", "ip:203.0.113.7", {"direction": "sideways"}, "direction"),
        ("block_domain", "domain:localhost", {"ttl_seconds": 60}, "domain"),
        ("block_domain", "domain:bad_name.example", {"ttl_seconds": 60}, "domain"),
        ("block_domain", "domain:-x.example", {"ttl_seconds": 60}, "domain"),
        ("block_domain", "domain:" + "a" * 64 + ".example", {"ttl_seconds": 60}, "domain"),
        ("block_sender", "email:x@y.example", {}, "cannot run action block_sender"),
        ("block_ip", "domain:example.com", {}, "applies to ip targets"),
    ],
)
def test_requests_the_firewall_cannot_serve(
    firewall: SimulatedFirewall,
    db: Database,
    action: str,
    target: str,
    params: dict[str, object],
    message: str,
) -> None:
    with pytest.raises(InputError, match=message):
        firewall.execute(make_request(action, target, params))
    assert rows(db, sim_firewall_rules) == []
