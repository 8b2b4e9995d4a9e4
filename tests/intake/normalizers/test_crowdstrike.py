from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from affidavit.errors import InputError
from affidavit.intake import Severity, detect_vendor, normalize

from .._shared import entity_set, panther_event, shape_samples, values_of, vendor_sample

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


# ---- real-shaped samples (tests/data/alerts/shapes/crowdstrike_falcon) ----


def _shapes(file_name: str) -> list[dict[str, Any]]:
    return shape_samples("crowdstrike_falcon", file_name)


def test_epp_event_type_is_matched_in_any_letter_case() -> None:
    upper, camel, flat = _shapes("epp_detection_summary_event.json")
    assert upper["metadata"]["eventType"] == "EPPDetectionSummaryEvent"
    for event in (upper, camel, flat):
        assert detect_vendor(event).name == "crowdstrike_falcon"
    lower = {**camel, "metadata": {**camel["metadata"], "eventType": "eppdetectionsummaryevent"}}
    assert normalize(lower).title == "MachineLearningOnWrite"


def test_epp_severity_uses_the_10_to_90_scale_and_prefers_the_name() -> None:
    upper, camel, flat = (normalize(e) for e in _shapes("epp_detection_summary_event.json"))
    assert (upper.severity, upper.severity_raw) == (Severity.HIGH, "High")  # 70 is high
    assert (camel.severity, camel.severity_raw) == (Severity.MEDIUM, 50)  # no name: the scale
    assert flat.severity is Severity.CRITICAL
    no_name = _shapes("epp_detection_summary_event.json")[0]
    del no_name["event"]["SeverityName"]
    assert normalize(no_name).severity is Severity.HIGH
    # The legacy DetectionSummaryEvent keeps its 1-5 scale.
    legacy = vendor_sample("crowdstrike_falcon.json")
    del legacy["event"]["SeverityName"]
    for value, level in ((4, Severity.HIGH), (5, Severity.CRITICAL), (2, Severity.LOW)):
        legacy["event"]["Severity"] = value
        assert normalize(legacy).severity is level
    named = vendor_sample("crowdstrike_falcon.json")
    named["event"]["Severity"] = 90
    named["event"]["SeverityName"] = "Low"
    assert normalize(named).severity is Severity.LOW


def test_epp_event_entities_include_the_grandparent_and_the_domain_account() -> None:
    alert = normalize(_shapes("epp_detection_summary_event.json")[0])
    entities = entity_set(alert)
    assert ("user", r"EXAMPLECORP\m.okafor", "actor") in entities
    assert ("process", r"C:\Windows\Explorer.EXE", "grandparent") in entities
    assert ("process", r"C:\Windows\system32\cmd.exe /c start.bat", "parent") in entities
    assert alert.techniques == ("T1059.001",)
    linux = normalize(_shapes("epp_detection_summary_event.json")[1])
    assert ("ip", "2001:db8:40:8::14", "local") in entity_set(linux)
    assert ("process", "/usr/sbin/sshd", "grandparent") in entity_set(linux)


def test_alerts_api_keeps_the_grandparent_process() -> None:
    alert = normalize(_shapes("alerts_api_endpoint.json")[0])
    assert alert.vendor_alert_id.endswith(":8590121844-10197-31744")
    assert alert.product == "CrowdStrike Falcon"
    entities = entity_set(alert)
    assert ("process", r"C:\Windows\Explorer.EXE", "grandparent") in entities
    assert (
        "file",
        "e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70",
        "grandparent_image",
    ) in entities
    assert ("user", "m.okafor@example.com", "actor") in entities
    assert ("user", "S-1-5-21-1004336348-1177238915-682003330-51234", "actor") in entities
    assert alert.unmapped is not None
    assert "grandparent_details.cmdline" not in alert.unmapped
    assert "grandparent_details.local_process_id" in alert.unmapped


def test_identity_protection_alerts_without_a_device_are_read() -> None:
    geo, scanning, kerberoast = (normalize(e) for e in _shapes("alerts_api_identity.json"))
    assert {geo.vendor, scanning.vendor, kerberoast.vendor} == {"crowdstrike_falcon"}
    assert geo.product == "CrowdStrike Falcon Identity Protection"
    assert geo.title == "Unusual user geolocation"
    assert geo.severity is Severity.LOW  # 31 on the 1-100 scale
    assert ("ip", "192.0.2.88", "source") in entity_set(geo)
    assert scanning.severity is Severity.HIGH
    assert ("host", "dc01.corp.example.com", "target") in entity_set(scanning)
    assert ("user", r"CORP.EXAMPLE.COM\svc-backup", "actor") in entity_set(scanning)
    assert kerberoast.techniques == ("T1558.003",)
    assert ("user", "svc-sql", "target") in entity_set(kerberoast)


def test_identity_protection_stream_events_are_read() -> None:
    scanning, kerberoast, geo = (normalize(e) for e in _shapes("idp_detection_summary_event.json"))
    assert scanning.product == "CrowdStrike Falcon Identity Protection"
    assert ("ip", "10.9.1.22", "source") in entity_set(scanning)
    # No technique id in the event: the ATT&CK technique name is mapped instead.
    assert scanning.techniques == ("T1110",)
    assert kerberoast.techniques == ("T1558.003",)
    assert kerberoast.severity is Severity.CRITICAL  # 90, no name
    assert geo.techniques == ("T1078",)


def test_detects_api_summaries_read_every_behaviour() -> None:
    first, _, last = (normalize(e) for e in _shapes("detects_api.json"))
    assert first.severity is Severity.HIGH
    assert ("domain", "updates.example.net", "indicator") in entity_set(first)
    assert last.techniques == ("T1003.001", "T1053.005")
    assert len(values_of(last, "process")) == 3


def test_detection_summary_events_keep_the_1_to_5_scale() -> None:
    office, ngav, ntds = (normalize(e) for e in _shapes("detection_summary_event.json"))
    assert [office.severity, ngav.severity, ntds.severity] == [
        Severity.HIGH,
        Severity.LOW,
        Severity.CRITICAL,  # 5 with no name
    ]
    assert ("process", r"C:\Windows\Explorer.EXE", "grandparent") in entity_set(office)
    assert ("ip", "10.9.1.22", "remote") in entity_set(ntds)
