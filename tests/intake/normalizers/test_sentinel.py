from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from affidavit.errors import InputError
from affidavit.intake import Severity, detect_vendor, normalize

from .._shared import entity_set, shape_samples


def test_security_alert_rows_are_read_with_their_entities() -> None:
    injection, proxy, phishing = (
        normalize(row) for row in shape_samples("microsoft_sentinel", "security_alert_rows.json")
    )
    assert injection.vendor == "microsoft_sentinel"
    assert injection.vendor_alert_id == "3c5e7a9c-1e3b-4d5f-8a7c-9e1b3d5f7a9c"
    assert injection.product == "Microsoft Defender Advanced Threat Protection"
    assert injection.severity is Severity.HIGH
    assert injection.category == "DefenseEvasion"
    assert injection.techniques == ("T1055", "T1055.012")
    assert injection.created == datetime(2025, 12, 2, 8, 15, 3, tzinfo=UTC)
    entities = entity_set(injection)
    assert ("host", "eng-ws-0331.corp.example.com", "impacted") in entities
    assert ("user", "r.haddad@corp.example.com", "actor") in entities
    assert ("user", "S-1-5-21-2043128907-1357924680-4203311991-4412", "actor") in entities
    assert ("process", '"notepad.exe"', "actor") in entities
    # The process defined inline under ParentProcess is the parent.
    assert ("process", r"C:\Users\r.haddad\AppData\Local\Temp\loader.exe", "parent") in entities
    assert ("ip", "203.0.113.45", "related") in entities
    assert ("cloud_resource", "Office 365", "application") in entity_set(proxy)
    assert phishing.severity is Severity.INFORMATIONAL
    assert {
        ("email", "billing@example.net", "sender"),
        ("email", "payables@corp.example.com", "recipient"),
        ("ip", "198.51.100.201", "source"),
        ("domain", "invoices.example.net", "queried"),
    } <= entity_set(phishing)


def test_incidents_from_the_rest_api_are_read() -> None:
    injection, proxy, phishing = (
        normalize(row) for row in shape_samples("microsoft_sentinel", "incidents_rest.json")
    )
    assert injection.vendor_alert_id.endswith("/Incidents/73e01a99-5cd7-4139-a149-9f2736ff2ab5")
    assert injection.product == "Microsoft Sentinel (Microsoft 365 Defender)"
    assert injection.severity is Severity.HIGH
    assert injection.category == "DefenseEvasion"
    assert injection.techniques == ("T1055",)
    assert proxy.product == "Microsoft Sentinel"
    assert phishing.severity is Severity.INFORMATIONAL
    assert phishing.entities == ()


def test_entities_that_are_not_json_or_too_deep_are_skipped_not_fatal() -> None:
    row = shape_samples("microsoft_sentinel", "security_alert_rows.json")[1]
    row["Entities"] = "[{not json"
    assert normalize(row).entities == ()
    nested: dict[str, object] = {"Address": "192.0.2.1", "Type": "ip"}
    for _ in range(40):
        nested = {"Inner": nested}
    row["Entities"] = json.dumps([nested])
    assert normalize(row).entities == ()


def test_incomplete_records_are_refused() -> None:
    row = shape_samples("microsoft_sentinel", "security_alert_rows.json")[0]
    del row["TimeGenerated"], row["StartTime"]
    with pytest.raises(InputError, match="Sentinel SecurityAlert needs"):
        normalize(row)
    incident = shape_samples("microsoft_sentinel", "incidents_rest.json")[0]
    del incident["properties"]["title"]
    assert detect_vendor(incident).name == "microsoft_sentinel"
    with pytest.raises(InputError, match="Sentinel incident needs"):
        normalize(incident)
