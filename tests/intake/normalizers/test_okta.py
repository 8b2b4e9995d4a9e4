from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from affidavit.intake import Severity, normalize

from .._shared import entity_set, panther_event, panther_tests, shape_samples

_PANTHER = "okta_threatinsight_security_threat_detected.yml"


def test_threatinsight_events_normalise() -> None:
    for name, outcome in (
        ("Threat Detected Event - Deny", "DENY"),
        ("Threat Detected Event - Success", "SUCCESS"),
    ):
        alert = normalize(panther_event(_PANTHER, name))
        assert alert.vendor == "okta"
        assert alert.vendor_alert_id == "asdfa-1234-asdfdas"
        assert alert.title == "Request from suspicious actor"
        assert alert.category == "security.threat.detected"
        # Password Spray was rated HIGH by ThreatInsight; the event itself says WARN.
        assert alert.severity is Severity.HIGH
        assert alert.severity_raw == "WARN"
        assert alert.created == datetime(2022, 12, 14, 19, 16, 32, 15000, tzinfo=UTC)
        assert f"Outcome: {outcome}" in alert.description
        assert "Password Spray (HIGH)" in alert.description
        assert entity_set(alert) == {("ip", "1.2.3.4", "source")}


def test_every_labelled_okta_event_is_read() -> None:
    alerts = [normalize(test["Log"]) for test in panther_tests(_PANTHER)]
    assert {alert.vendor for alert in alerts} == {"okta"}


def test_ordinary_system_log_event_is_informational() -> None:
    alert = normalize(panther_event(_PANTHER, "Other Event"))
    assert alert.severity is Severity.INFORMATIONAL
    assert alert.title == "application.integration.rate_limit_exceeded"
    assert ("user", "homer.simpson@duff.com", "actor") in entity_set(alert)


def _api_event() -> dict[str, Any]:
    # The System Log API spells top-level fields in camelCase.
    return {
        "uuid": "2f9c0a4e-1b7d-11ef-9a4c-0242ac120002",
        "published": "2025-02-11T09:12:44.518Z",
        "eventType": "user.session.start",
        "legacyEventType": "core.user_auth.login_failed",
        "displayMessage": "User login to Okta",
        "severity": "INFO",
        "version": "0",
        "actor": {"id": "00u1a2b3c4", "type": "User", "alternateId": "alice@corp.example"},
        "client": {"ipAddress": "198.51.100.23"},
        "outcome": {"result": "FAILURE", "reason": "INVALID_CREDENTIALS"},
        "target": [{"id": "00u9z8", "type": "User", "alternateId": "bob@corp.example"}],
        "request": {"ipChain": [{"ip": "198.51.100.23"}, {"ip": "10.0.0.5"}]},
        "debugContext": {"debugData": {"threatDetections": json.dumps({"x": "LOW"})}},
    }


def test_camel_case_api_event_normalises() -> None:
    alert = normalize(_api_event())
    assert alert.vendor == "okta"
    assert alert.title == "User login to Okta"
    assert alert.severity is Severity.LOW
    assert entity_set(alert) == {
        ("user", "alice@corp.example", "actor"),
        ("user", "bob@corp.example", "target"),
        ("ip", "198.51.100.23", "source"),
        ("ip", "10.0.0.5", "source"),
    }


def test_unreadable_threat_detections_fall_back_to_the_event_severity() -> None:
    event = _api_event()
    event["severity"] = "ERROR"
    event["debugContext"]["debugData"]["threatDetections"] = "{not json"
    assert normalize(event).severity is Severity.HIGH


def test_real_shaped_system_log_events() -> None:
    threat, login, grant = (normalize(e) for e in shape_samples("okta", "system_log.json"))
    assert threat.severity is Severity.MEDIUM  # ThreatInsight rated the spray MEDIUM
    assert ("ip", "198.51.100.66", "source") in entity_set(threat)
    assert ("cloud_resource", "Office 365", "application") in entity_set(login)
    assert ("user", "contractor@example.net", "target") in entity_set(grant)
