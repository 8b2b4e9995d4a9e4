from __future__ import annotations

from datetime import UTC, datetime

import pytest

from affidavit.errors import InputError
from affidavit.intake import Severity, normalize

from .._shared import entity_set, shape_samples


def test_threats_are_read() -> None:
    trojan, hacktool, miner = (
        normalize(t) for t in shape_samples("sentinelone", "threats_page.json")
    )
    assert trojan.vendor == "sentinelone"
    assert trojan.vendor_alert_id == "1800000000000001001"
    assert trojan.title == "invoice.pdf.exe"
    assert (trojan.severity, trojan.severity_raw) == (Severity.HIGH, "malicious")
    assert trojan.category == "Persistence"
    assert trojan.techniques == ("T1053.005", "T1070.004")
    assert trojan.created == datetime(2025, 12, 2, 8, 30, 11, 1000, tzinfo=UTC)
    assert trojan.description.startswith("Trojan (malicious).")
    entities = entity_set(trojan)
    assert ("host", "acct-lt-0207", "impacted") in entities
    # agentIpV4 holds every address of the agent, comma-separated.
    assert {("ip", "10.20.2.7", "local"), ("ip", "192.168.56.1", "local")} <= entities
    assert ("user", r"CORP\s.ito", "actor") in entities
    assert ("file", "c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9", "artifact") in entities
    assert hacktool.severity is Severity.MEDIUM
    assert hacktool.techniques == ("T1003.001",)
    assert any(
        kind == "process" and value.endswith("sekurlsa::logonpasswords")
        for kind, value, _ in entity_set(hacktool)
    )
    assert ("cloud_resource", "registry.example.com/team/api:1.9.2", "container_image") in (
        entity_set(miner)
    )
    assert ("cloud_resource", "namespaces/shop/pods/api-5c7d9f-8k2lm", "impacted") in entity_set(
        miner
    )


def test_a_threat_without_a_time_is_refused() -> None:
    threat = shape_samples("sentinelone", "threats_page.json")[0]
    for key in ("identifiedAt", "createdAt"):
        del threat["threatInfo"][key]
    with pytest.raises(InputError, match="SentinelOne threat needs"):
        normalize(threat)
