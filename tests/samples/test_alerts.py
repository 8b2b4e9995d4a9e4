from __future__ import annotations

import ipaddress
import json
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from affidavit.errors import InputError
from affidavit.intake import (
    EntityKind,
    detect_vendor,
    normalize,
    read_alerts,
)
from affidavit.samples.alerts import SAMPLE_WEIGHTS, generate_alerts

_DOCUMENTATION_NETS = [
    ipaddress.ip_network(net) for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
]
_PRIVATE_NETS = [ipaddress.ip_network(net) for net in ("10.0.0.0/8", "192.168.0.0/16")]
_HOST = re.compile(
    r"(pc-[a-z]+-\d{4}|srv-[a-z]+-\d{2})(\.corp\.example)?|k8s-worker-\d{2}|"
    r"ip-[\d-]+\.[a-z0-9-]+\.compute\.internal|corp-[a-z-]+-vm-\d{2}"
)


@pytest.mark.parametrize("seed", [0, 1, 7, 2025])
def test_samples_round_trip_through_detect_and_normalize(seed: int) -> None:
    samples = generate_alerts(500, seed=seed)
    assert len(samples) == 500
    vendors: Counter[str] = Counter()
    previous = datetime.min.replace(tzinfo=UTC)
    for sample in samples:
        normalizer = detect_vendor(sample)
        alert = normalize(sample)
        assert alert.vendor == normalizer.name
        assert alert.raw == sample
        assert alert.entities, f"{alert.vendor} sample without entities"
        assert alert.created > previous
        previous = alert.created
        json.dumps(alert.to_dict())
        vendors[alert.vendor] += 1
    assert set(vendors) == set(SAMPLE_WEIGHTS)
    # Endpoint detections dominate, as in a SOC queue.
    assert vendors["microsoft_defender"] > vendors["falco"]


def test_samples_are_deterministic_and_seeded() -> None:
    assert generate_alerts(50, seed=4) == generate_alerts(50, seed=4)
    assert generate_alerts(50, seed=4) != generate_alerts(50, seed=5)
    assert generate_alerts(10, seed=4) == generate_alerts(50, seed=4)[:10]
    assert generate_alerts(0) == []


def test_samples_survive_the_file_reader() -> None:
    samples = generate_alerts(60, seed=9)
    as_array = json.dumps(samples).encode()
    as_lines = "\n".join(json.dumps(sample) for sample in samples).encode()
    assert list(read_alerts(as_array)) == samples
    assert list(read_alerts(as_lines)) == samples


def _all_entities(samples: list[dict[str, Any]]) -> list[tuple[EntityKind, str]]:
    return [(e.kind, e.value) for sample in samples for e in normalize(sample).entities]


def test_addresses_are_private_or_documentation_ranges_only() -> None:
    entities = _all_entities(generate_alerts(500, seed=11))
    addresses = [ipaddress.ip_address(value) for kind, value in entities if kind is EntityKind.IP]
    assert addresses
    for address in addresses:
        assert any(address in net for net in _DOCUMENTATION_NETS + _PRIVATE_NETS), address
    domains = {value for kind, value in entities if kind is EntityKind.DOMAIN}
    assert domains
    assert all(d.endswith((".example.com", ".example.net", ".example.org")) for d in domains)


def test_hosts_users_and_processes_look_like_a_soc_queue() -> None:
    entities = _all_entities(generate_alerts(500, seed=12))
    hosts = {value for kind, value in entities if kind is EntityKind.HOST}
    assert hosts
    assert {host for host in hosts if not _HOST.fullmatch(host)} == set()
    users = {value for kind, value in entities if kind is EntityKind.USER}
    assert "alice@corp.example" in users or "alice" in users
    commands = " ".join(value for kind, value in entities if kind is EntityKind.PROCESS)
    assert "-EncodedCommand" in commands
    assert "comsvcs.dll, MiniDump" in commands
    assert any(kind is EntityKind.CLOUD_RESOURCE for kind, _ in entities)
    assert any(kind is EntityKind.FILE for kind, _ in entities)


def test_planted_secrets_and_personal_data_reach_the_normalised_alerts() -> None:
    entities = _all_entities(generate_alerts(500, seed=13))
    commands = [value for kind, value in entities if kind is EntityKind.PROCESS]
    for planted in (
        "net user backup P@ssw0rd! /add",
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "Winter2025!",
        "Authorization: Bearer eyJ",
        "jane.roe@corp.example",
        "4111 1111 1111 1111",
    ):
        assert any(planted in command for command in commands), planted
    assert re.search(r"\bAKIA[0-9A-Z]{16}\b", " ".join(commands))


@pytest.mark.parametrize("n", [-1, 100_001, True, 2.5])
def test_bad_counts_are_refused(n: Any) -> None:
    with pytest.raises(InputError, match="number of sample alerts"):
        generate_alerts(n)


def test_start_time_is_honoured_and_must_be_aware() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    first = normalize(generate_alerts(1, start=start)[0])
    assert start < first.created < datetime(2026, 1, 1, 0, 16, tzinfo=UTC)
    with pytest.raises(InputError, match="timezone"):
        generate_alerts(1, start=datetime(2026, 1, 1))
