from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from affidavit.errors import InputError
from affidavit.intake import Severity, detect_vendor, normalize

from .._shared import entity_set, panther_event, values_of, vendor_sample

_PANTHER = "crowdstrike_detection_passthrough.yml"


def test_event_streams_detection_summary_normalises() -> None:
    raw = vendor_sample("crowdstrike_falcon.json")
    alert = normalize(raw)
    assert alert.vendor == "crowdstrike_falcon"
    assert alert.vendor_alert_id == "ldt:f1e2d3c4b5a6:1234567890"
    assert alert.title == "Cobalt Strike Beacon Activity"
    assert alert.severity is Severity.CRITICAL
    assert alert.severity_raw == "Critical"
    # metadata.eventCreationTime is 1737380400000 ms.
    assert alert.created == datetime(2025, 1, 20, 13, 40, tzinfo=UTC)
    assert alert.category == "Command and Control"
    assert alert.techniques == ("T1573.002",)
    entities = entity_set(alert)
    assert ("host", "desktop-ws0042", "impacted") in entities
    assert ("user", "t.yamamoto", "actor") in entities
    assert ("ip", "10.0.1.142", "local") in entities
    assert ("ip", "198.51.100.87", "public") in entities
    assert ("ip", "1.12.66.17", "remote") in entities
    assert ("domain", "p3nh8xzv.net", "queried") in entities
    assert (
        "file",
        "7b4d61c3a058c0f9e7a24d2ef5c1b4a3d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3",
        "image",
    ) in entities
    assert ("process", r"C:\Windows\explorer.exe", "parent") in entities
    assert ("process", r"C:\Windows\system32\userinit.exe", "grandparent") in entities
    beacon = (
        r"C:\Users\t.yamamoto\AppData\Roaming\Microsoft\Windows\Start Menu\Programs\Startup"
        r"\beacon.exe"
    )
    assert ("process", beacon, "actor") in entities
    # The same SHA-256 as IOC and as image is one entity.
    assert len(values_of(alert, "file")) == 1


def test_siem_connector_flat_event_normalises() -> None:
    alert = normalize(panther_event(_PANTHER, "Low Severity Finding"))
    assert alert.vendor == "crowdstrike_falcon"
    assert alert.title == "NGAV"
    assert alert.severity is Severity.LOW
    assert alert.category == "Malware"
    assert alert.created == datetime(2021, 9, 18, 20, 38, 52, tzinfo=UTC)
    assert values_of(alert, "host") == {"macbook"}
    assert values_of(alert, "user") == {"bobert"}
    # The all-zero SHA-1 is CrowdStrike's "unknown" and is not an entity.
    assert values_of(alert, "file") == {
        "00000000009d4244ff0eff80712145e92dfbdc1990483402aca903f70c020e60"
    }
    assert "/Applications/app.app/Contents/MacOS/pup app" in values_of(alert, "process")


def test_fdr_wrapped_event_normalises() -> None:
    alert = normalize(panther_event(_PANTHER, "Low Severity Finding (FDREvent)"))
    assert alert.vendor == "crowdstrike_falcon"
    assert alert.title == "Suspicious Activity"
    assert alert.category is None  # Tactic "N/A"
    assert alert.created == datetime(2021, 3, 24, 18, 19, 49, tzinfo=UTC)
    assert values_of(alert, "host") == {"hostname.lan"}
    assert ("process", "/bin/echo CROWDSTRIKE_SAMPLE_DETECTION", "actor") in entity_set(alert)


def test_non_detection_event_is_refused() -> None:
    with pytest.raises(InputError, match="unrecognised alert format"):
        detect_vendor(panther_event(_PANTHER, "Non-match (FDREvent)"))


def _api_detection() -> dict[str, Any]:
    # Shape of GET /detects/entities/summaries/GET/v1 resources.
    return {
        "cid": "c0ffee00c0ffee00c0ffee00c0ffee00",
        "detection_id": "ldt:0123456789abcdef0123456789abcdef:4295123456",
        "created_timestamp": "2025-02-10T07:31:05.123456Z",
        "max_severity": 70,
        "max_severity_displayname": "High",
        "status": "new",
        "device": {
            "device_id": "0123456789abcdef0123456789abcdef",
            "hostname": "PC-SALES-0215",
            "local_ip": "10.20.1.15",
            "external_ip": "203.0.113.9",
        },
        "behaviors": [
            {
                "behavior_id": "10197",
                "filename": "rundll32.exe",
                "cmdline": r"rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 612 x.dmp full",
                "sha256": "AB" * 32,
                "md5": "cd" * 16,
                "user_name": "alice",
                "tactic": "Credential Access",
                "technique_id": "T1003.001",
                "display_name": "LsassDumpComsvcs",
                "description": "A process dumped LSASS memory.",
                "ioc_type": "domain",
                "ioc_value": "cdn-update.example.net",
                "parent_details": {
                    "parent_cmdline": "powershell.exe -nop",
                    "parent_sha256": "ef" * 32,
                },
            }
        ],
    }


def test_detects_api_summary_normalises() -> None:
    alert = normalize(_api_detection())
    assert alert.vendor == "crowdstrike_falcon"
    assert alert.vendor_alert_id == "ldt:0123456789abcdef0123456789abcdef:4295123456"
    assert alert.title == "LsassDumpComsvcs"
    assert alert.severity is Severity.HIGH
    assert alert.techniques == ("T1003.001",)
    assert alert.category == "Credential Access"
    entities = entity_set(alert)
    assert ("host", "pc-sales-0215", "impacted") in entities
    assert ("ip", "203.0.113.9", "public") in entities
    assert ("file", "ab" * 32, "image") in entities
    assert ("file", "ef" * 32, "parent_image") in entities
    assert ("process", "powershell.exe -nop", "parent") in entities
    assert ("domain", "cdn-update.example.net", "indicator") in entities


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (95, Severity.CRITICAL),
        (70, Severity.HIGH),
        (50, Severity.MEDIUM),
        (20, Severity.LOW),
        (5, Severity.INFORMATIONAL),
    ],
)
def test_alerts_api_severity_bands(value: int, expected: Severity) -> None:
    behaviour = _api_detection()["behaviors"][0]
    record = {
        "composite_id": "c0ffee:ind:0123456789abcdef:99-1-2",
        "device": {"hostname": "srv-db-01"},
        "severity": value,
        "created_timestamp": "2025-02-10T07:31:05Z",
        **behaviour,
    }
    alert = normalize(record)
    assert alert.severity is expected
    assert alert.vendor_alert_id == "c0ffee:ind:0123456789abcdef:99-1-2"
