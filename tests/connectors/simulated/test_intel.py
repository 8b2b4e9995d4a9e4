"""Simulated threat intelligence: deterministic, offline, documentation ranges malicious."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affidavit.connectors import SimulatedIntel
from affidavit.connectors.simulated.intel import domain_reputation, hash_reputation, ip_reputation
from affidavit.errors import InputError
from affidavit.store import Database
from tests.connectors._shared import make_request

VERDICTS = {"malicious", "suspicious", "unknown", "benign"}


@pytest.fixture
def intel(db: Database) -> SimulatedIntel:
    return SimulatedIntel(db)


@pytest.mark.parametrize("ip", ["203.0.113.7", "198.51.100.250", "192.0.2.1", "2001:db8::5"])
def test_documentation_addresses_are_malicious(intel: SimulatedIntel, ip: str) -> None:
    result = intel.execute(make_request("enrich_ip_reputation", f"ip:{ip}"))
    assert result.detail["verdict"] == "malicious"
    assert result.detail["score"] >= 90
    assert 64496 <= result.detail["asn"] <= 64511  # the documentation ASN range
    assert result.detail["sources"] == ["simulated"]


@pytest.mark.parametrize("ip", ["10.1.2.3", "192.168.0.9", "127.0.0.1", "fe80::1"])
def test_internal_addresses_are_benign(ip: str) -> None:
    assert ip_reputation(ip)["verdict"] == "benign"


@given(st.ip_addresses())
def test_only_documentation_ranges_are_ever_malicious(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    docs = [
        ipaddress.ip_network(n)
        for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
    ]
    answer = ip_reputation(str(ip))
    assert answer["verdict"] in VERDICTS
    assert (answer["verdict"] == "malicious") == any(ip in net for net in docs)
    assert ip_reputation(str(ip)) == answer


def test_example_domains_are_malicious_others_graded(intel: SimulatedIntel) -> None:
    bad = intel.execute(make_request("enrich_domain_reputation", "domain:login-corp.example.com"))
    assert bad.detail["verdict"] == "malicious"
    assert domain_reputation("example.net")["verdict"] == "malicious"
    assert domain_reputation("notexample.com")["verdict"] != "malicious"
    assert domain_reputation("corp.example")["verdict"] in VERDICTS - {"malicious"}


@given(st.text("0123456789abcdef", min_size=64, max_size=64))
def test_hash_reputation_is_a_function_of_the_hash(sha: str) -> None:
    answer = hash_reputation(sha)
    assert answer == hash_reputation(sha)
    assert answer["verdict"] in VERDICTS
    assert (answer["family"] is not None) == (answer["verdict"] == "malicious")


def test_enrichment_records_the_execution_and_never_uses_the_network(
    intel: SimulatedIntel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the simulated intel connector opened a socket")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    request = make_request(
        "enrich_hash_reputation", "file:" + "ab" * 32, {"sources": ["vt", "misp"]}
    )
    first = intel.execute(request)
    assert first.detail["sources"] == ["vt", "misp"]
    assert intel.execute(request) == first


@pytest.mark.parametrize(
    ("action", "target", "params", "message"),
    [
        ("enrich_ip_reputation", "ip:999.1.1.1", {}, "not an IP"),
        ("enrich_hash_reputation", "file:abc", {}, "file hash"),
        ("enrich_domain_reputation", "domain:no_underscores.example", {}, "domain"),
        ("enrich_ip_reputation", "ip:192.0.2.1", {"sources": ["Bad Source"]}, "source"),
        ("enrich_ip_reputation", "ip:192.0.2.1", {"sources": ["s"] * 17}, "limit is 16"),
        ("enrich_ip_reputation", "host:pc-1", {}, "applies to ip targets"),
        ("block_ip", "ip:192.0.2.1", {}, "cannot run action block_ip"),
    ],
)
def test_requests_intel_cannot_serve(
    intel: SimulatedIntel, action: str, target: str, params: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        intel.execute(make_request(action, target, params))
