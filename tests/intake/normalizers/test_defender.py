from __future__ import annotations

from datetime import UTC, datetime

import pytest

from affidavit.errors import InputError
from affidavit.intake import Severity, detect_vendor, normalize
from affidavit.intake.normalizers.defender import NORMALIZER

from .._shared import entity_set, panther_event, values_of, vendor_sample

_PANTHER = "defender_detection_passthrough.yml"


def test_endpoint_api_alert_normalises_with_its_evidence() -> None:
    raw = vendor_sample("defender_endpoint.json")
    alert = normalize(raw)
    assert alert.vendor == "microsoft_defender"
    assert alert.product == "Microsoft Defender for Endpoint"
    assert alert.vendor_alert_id == "da637472900382838869_1364969609"
    assert alert.title == "Suspicious credential dumping activity"
    assert alert.severity is Severity.HIGH
    assert alert.severity_raw == "High"
    assert alert.created == datetime(2025, 1, 20, 9, 15, 42, 183000, tzinfo=UTC)
    assert alert.category == "DefenseEvasion"
    assert alert.techniques == ("T1003.001", "T1059.001", "T1027")
    assert alert.raw == raw
    entities = entity_set(alert)
    assert ("host", "pc-sales-0215.corp.example-inc.local", "impacted") in entities
    assert ("ip", "43.208.238.110", "remote") in entities
    assert ("process", "cmd.exe", "parent") in entities
    assert (
        "file",
        "f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6",
        "artifact",
    ) in entities
    assert values_of(alert, "file") == {
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5",
        "f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6",
    }
    # relatedUser CORP\k.suzuki is the same account the evidence names by UPN.
    assert values_of(alert, "user") == {"k.suzuki@example-inc.com"}
    commands = values_of(alert, "process")
    assert any(c.startswith("powershell.exe -nop -w hidden -encodedcommand") for c in commands)
    assert r"C:\Windows\system32\lsass.exe" in commands


def test_advanced_hunting_alert_info_normalises() -> None:
    event = panther_event(_PANTHER, "High Severity Finding")
    alert = normalize(event)
    assert alert.vendor == "microsoft_defender"
    assert alert.vendor_alert_id == "0000000000-1111-2222-3333-444444444444"
    assert alert.title == "Regsvr32 Rundll32 Image Loads Abnormal Extension"
    assert alert.severity is Severity.HIGH
    assert alert.category == "DefenseEvasion"
    assert alert.techniques == ("T1218", "T1218.010", "T1218.011")
    assert alert.product == "Microsoft Defender XDR (Microsoft Sentinel)"
    assert alert.created == datetime(2025, 4, 21, 20, 51, 4, 58183, tzinfo=UTC)


def test_bare_alert_info_row_is_read_like_the_streamed_one() -> None:
    streamed = panther_event(_PANTHER, "High Severity Finding")
    bare = normalize(streamed["properties"])
    assert bare.vendor_alert_id == normalize(streamed).vendor_alert_id
    assert bare.techniques == normalize(streamed).techniques


def test_alert_evidence_rows_are_not_alerts() -> None:
    event = panther_event(_PANTHER, "Alert Evidence Event")
    with pytest.raises(InputError, match=r"unrecognised alert format; keys seen: .*'properties'"):
        detect_vendor(event)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Informational", Severity.INFORMATIONAL),
        ("Low", Severity.LOW),
        ("Medium", Severity.MEDIUM),
        ("High", Severity.HIGH),
        ("UnSpecified", Severity.MEDIUM),
    ],
)
def test_severity_labels(label: str, expected: Severity) -> None:
    raw = vendor_sample("defender_endpoint.json") | {"severity": label}
    assert NORMALIZER.normalize(raw).severity is expected


def test_missing_creation_time_is_an_input_error() -> None:
    raw = vendor_sample("defender_endpoint.json")
    raw["alertCreationTime"] = "yesterday"
    raw["firstEventTime"] = None
    with pytest.raises(InputError, match="alertCreationTime"):
        normalize(raw)
