from __future__ import annotations

from datetime import UTC, datetime

import pytest

from affidavit.errors import InputError
from affidavit.intake import Severity, detect_vendor, normalize

from .._shared import entity_set, vendor_sample


def test_notification_finding_normalises() -> None:
    raw = vendor_sample("scc.json")
    alert = normalize(raw)
    assert alert.vendor == "google_scc"
    assert alert.vendor_alert_id == (
        "organizations/123456789012/sources/1234567890123456789/findings/abc123def456"
    )
    assert alert.title == "Malware: Bad Domain"
    assert alert.severity is Severity.HIGH
    assert alert.severity_raw == "HIGH"
    assert alert.category == "THREAT"
    assert alert.techniques == ("T1071",)
    assert alert.created == datetime(2024, 1, 15, 10, 31, tzinfo=UTC)
    assert alert.product == "Google Security Command Center (Event Threat Detection)"
    entities = entity_set(alert)
    instance = (
        "//compute.googleapis.com/projects/my-project-id/zones/us-central1-a/instances/"
        "suspicious-instance"
    )
    assert ("cloud_resource", instance, "impacted") in entities
    assert ("host", "suspicious-instance", "impacted") in entities
    assert ("ip", "161.97.182.121", "indicator") in entities
    assert ("domain", "download-update.online", "indicator") in entities
    assert ("ip", "10.128.0.15", "local") in entities


def test_bare_finding_is_read_too() -> None:
    finding = vendor_sample("scc.json")["finding"]
    alert = normalize(finding)
    assert alert.vendor == "google_scc"
    assert alert.title == "Malware: Bad Domain"
    # Without the notification's resource block the host name is unknown.
    assert "suspicious-instance" not in {e.value for e in alert.entities}


def test_unspecified_severity_is_medium() -> None:
    raw = vendor_sample("scc.json")
    raw["finding"]["severity"] = "SEVERITY_UNSPECIFIED"
    assert normalize(raw).severity is Severity.MEDIUM


def test_finding_name_must_have_the_finding_shape() -> None:
    raw = vendor_sample("scc.json")
    raw["finding"]["name"] = "organizations/123/findings"
    with pytest.raises(InputError, match="unrecognised alert format"):
        detect_vendor(raw)
