from __future__ import annotations

from datetime import UTC, datetime

import pytest

from affidavit.errors import InputError
from affidavit.intake import Severity, detect_vendor, normalize, normalized_alerts

from .._shared import entity_set, shape_samples, shapes_dir


def test_notable_results_are_read() -> None:
    office, logins, threat = (
        normalize(r) for r in shape_samples("splunk_es", "notable_results.json")
    )
    assert office.vendor == "splunk_es"
    assert office.product == "Splunk Enterprise Security"
    assert office.vendor_alert_id.startswith("3A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9@@notable@@")
    assert office.title == "Suspicious child process of WINWORD.EXE on acct-lt-0207"
    assert (office.severity, office.severity_raw) == (Severity.CRITICAL, "critical")  # urgency
    assert office.category == "endpoint"
    assert office.techniques == ("T1566.001", "T1059.001")
    assert office.created == datetime(2025, 12, 2, 8, 20, tzinfo=UTC)
    entities = entity_set(office)
    assert ("host", "acct-lt-0207.corp.example.com", "destination") in entities
    assert ("ip", "10.20.2.7", "destination") in entities
    assert ("user", r"CORP\s.ito", "actor") in entities
    assert logins.title == "Access - Excessive Failed Logins - Rule"
    assert {("ip", "192.0.2.210", "source"), ("ip", "192.0.2.211", "source")} <= entity_set(logins)
    assert ("host", "vpn-gw-01", "destination") in entity_set(logins)
    assert threat.severity is Severity.LOW
    assert ("domain", "c2.example.org", "queried") in entity_set(threat)
    assert ("host", "dev-lt-0930", "source") in entity_set(threat)


def test_export_lines_are_read_and_named() -> None:
    data = (shapes_dir() / "splunk_es" / "notable_export.jsonl").read_bytes()
    located = list(normalized_alerts(data))
    assert [where for where, _ in located] == ["line 1, result", "line 2, result", "line 3, result"]
    expired, unroutable, malware = (alert for _, alert in located)
    assert malware.techniques == ("T1204.002",)
    assert expired.severity is Severity.HIGH  # urgency beats severity
    assert expired.techniques == ("T1078",)
    assert unroutable.severity is Severity.INFORMATIONAL
    assert unroutable.created == datetime(2025, 12, 3, 2, 0, tzinfo=UTC)  # epoch _time


def test_a_search_result_that_is_not_a_notable_is_not_claimed() -> None:
    with pytest.raises(InputError, match="unrecognised"):
        detect_vendor({"_time": "2025-12-02T08:20:00Z", "host": "web", "_raw": "GET /"})
    notable = shape_samples("splunk_es", "notable_results.json")[1]
    del notable["_time"]
    with pytest.raises(InputError, match="unrecognised"):
        normalize(notable)
