from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from affidavit.errors import InputError
from affidavit.intake import Severity, detect_vendor, normalize
from affidavit.intake.normalizers.defender import NORMALIZER

from .._shared import entity_set, panther_event, shape_samples, values_of, vendor_sample

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
    assert ("process", r"C:\Windows\System32\cmd.exe", "parent") in entities
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
    # relatedUser CORP\k.suzuki is the same account the evidence names by UPN (and SID).
    assert values_of(alert, "user") == {
        "k.suzuki@example-inc.com",
        "S-1-5-21-3456789012-1234567890-987654321-11042",
    }
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


# ---- real-shaped samples (tests/data/alerts/shapes/microsoft_defender) ----


def _shapes(file_name: str) -> list[dict[str, Any]]:
    return shape_samples("microsoft_defender", file_name)


def test_graph_alerts_v2_page_is_read_with_typed_evidence() -> None:
    endpoint, email, cloud_app = (normalize(a) for a in _shapes("graph_alerts_v2.json"))
    assert endpoint.vendor == "microsoft_defender"
    assert endpoint.product == "Microsoft Defender for Endpoint"
    assert endpoint.vendor_alert_id == "da638681123456789012_-1398457612"
    assert endpoint.severity is Severity.HIGH
    assert endpoint.techniques == ("T1055", "T1055.012")
    assert endpoint.created == datetime(2025, 12, 2, 8, 14, 55, 123456, tzinfo=UTC)
    entities = entity_set(endpoint)
    assert ("host", "eng-ws-0331.corp.example.com", "compromised") in entities
    assert ("process", r"C:\Users\r.haddad\AppData\Local\Temp\loader.exe", "parent") in entities
    assert ("user", "r.haddad@corp.example.com", "actor") in entities
    assert ("user", "S-1-5-21-2043128907-1357924680-4203311991-4412", "actor") in entities
    assert (
        "file",
        "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9",
        "parent_image",
    ) in entities
    # Registry evidence has no entity kind: it is reported, not dropped silently.
    assert endpoint.unmapped is not None
    assert "evidence[3].registryKey" in endpoint.unmapped
    assert email.product == "Microsoft Defender for Office 365"
    assert {("email", "billing@example.net", "sender"), ("ip", "198.51.100.201", "source")} <= (
        entity_set(email)
    )
    assert ("email", "payables@corp.example.com", "recipient") in entity_set(email)
    assert ("url", "https://invoices.example.net/view?id=7731", "embedded") in entity_set(email)
    assert cloud_app.severity is Severity.MEDIUM  # "unknown"
    assert cloud_app.severity_raw == "unknown"
    assert ("user", "l.moreau@corp.example.com", "policy_violator") in entity_set(cloud_app)
    assert ("cloud_resource", "Office 365", "application") in entity_set(cloud_app)


def test_endpoint_alert_with_a_single_evidence_object_keeps_it() -> None:
    raw = _shapes("endpoint_api_alert.json")[0]
    assert isinstance(raw["evidence"], dict)
    alert = normalize(raw)
    entities = entity_set(alert)
    assert (
        "file",
        "de96a6e69944335375dc1ac238336066889d9ffc7d73628ef4fe1b1b160ab32c",
        "image",
    ) in entities
    assert any(
        kind == "process" and value.startswith("powershell.exe -nop") for kind, value, _ in entities
    )
    assert ("user", "S-1-5-21-2043128907-1357924680-4203311991-5120", "actor") in entities
    assert (
        "process",
        r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
        "parent",
    ) in entities


def test_endpoint_alerts_and_alert_info_rows_of_the_same_incidents() -> None:
    indicator, eicar = (normalize(a) for a in _shapes("endpoint_api_alert.json")[1:])
    assert ("ip", "192.0.2.150", "remote") in entity_set(indicator)
    assert ("process", "/usr/lib/systemd/systemd", "parent") in entity_set(indicator)
    assert eicar.severity is Severity.LOW
    rows = [normalize(a) for a in _shapes("advanced_hunting_alertinfo.json")]
    assert [row.techniques for row in rows] == [("T1055", "T1055.012"), ("T1566.002",), ()]
    assert [row.severity for row in rows] == [Severity.HIGH, Severity.MEDIUM, Severity.MEDIUM]
    assert rows[1].product == "Microsoft Defender XDR (Microsoft Defender for Office 365)"
