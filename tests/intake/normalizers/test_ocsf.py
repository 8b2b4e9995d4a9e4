from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from affidavit.errors import InputError
from affidavit.intake import Severity, detect_vendor, normalize

from .._shared import entity_set, shape_samples


def _finding() -> dict[str, Any]:
    # An OCSF 1.3 Detection Finding written from the schema (class 2004).
    return {
        "class_uid": 2004,
        "category_uid": 2,
        "activity_id": 1,
        "type_uid": 200401,
        "time": 1739260800123,
        "severity_id": 4,
        "severity": "High",
        "metadata": {"version": "1.3.0", "product": {"name": "Acme NDR", "vendor_name": "Acme"}},
        "finding_info": {
            "uid": "f-42",
            "title": "Beaconing to a rare domain",
            "desc": "Periodic connections to a newly registered domain.",
            "types": ["Command and Control"],
            "attacks": [
                {
                    "tactic": {"uid": "TA0011", "name": "Command and Control"},
                    "technique": {"uid": "T1071", "name": "Application Layer Protocol"},
                    "sub_technique": {"uid": "T1071.001", "name": "Web Protocols"},
                }
            ],
        },
        "device": {
            "hostname": "SRV-WEB-01.corp.example",
            "ip": "10.1.2.3",
            "instance_uid": "i-0abc",
        },
        "actor": {"user": {"name": "svc-web", "domain": "CORP"}},
        "evidences": [
            {
                "process": {
                    "cmd_line": "curl -s http://k7x2m9q.example.org/b",
                    "file": {
                        "path": "/usr/bin/curl",
                        "hashes": [
                            {"algorithm_id": 1, "value": "11" * 16},
                            {"algorithm_id": 3, "value": "22" * 32},
                        ],
                    },
                    "parent_process": {"cmd_line": "/bin/sh -c cron"},
                },
                "dst_endpoint": {"ip": "203.0.113.50", "port": 80, "domain": "k7x2m9q.example.org"},
                "query": {"hostname": "k7x2m9q.example.org"},
            },
            {"url": {"url_string": "http://k7x2m9q.example.org/b"}},
            {"email": {"from": "Billing@Partner.example", "to": ["alice@corp.example"]}},
        ],
        "resources": [{"uid": "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc", "type": "VM"}],
        "observables": [
            {"name": "src_endpoint.ip", "type_id": 2, "value": "192.168.7.7"},
            {"name": "actor.user.email_addr", "type_id": 5, "value": "carol@corp.example"},
            {"name": "x", "type_id": 99, "value": "ignored"},
        ],
    }


def test_detection_finding_normalises() -> None:
    alert = normalize(_finding())
    assert alert.vendor == "ocsf_detection_finding"
    assert alert.product == "Acme NDR"  # the vendor is not repeated
    assert alert.vendor_alert_id == "f-42"
    assert alert.title == "Beaconing to a rare domain"
    assert alert.severity is Severity.HIGH
    assert alert.severity_raw == "High"
    assert alert.category == "Command and Control"
    assert alert.techniques == ("T1071", "T1071.001")
    assert alert.created == datetime(2025, 2, 11, 8, 0, 0, 123000, tzinfo=UTC)
    entities = {(e.kind.value, e.value, e.role) for e in alert.entities}
    assert {
        ("host", "srv-web-01.corp.example", "impacted"),
        ("ip", "10.1.2.3", "local"),
        ("cloud_resource", "i-0abc", "impacted"),
        ("user", "CORP\\svc-web", "actor"),
        ("process", "curl -s http://k7x2m9q.example.org/b", "actor"),
        ("file", "22" * 32, "image"),
        ("process", "/bin/sh -c cron", "parent"),
        ("ip", "203.0.113.50", "destination"),
        ("domain", "k7x2m9q.example.org", "destination"),
        ("url", "http://k7x2m9q.example.org/b", "remote"),
        ("email", "billing@partner.example", "source"),
        ("email", "alice@corp.example", "target"),
        ("cloud_resource", "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc", "impacted"),
        ("ip", "192.168.7.7", None),
        ("email", "carol@corp.example", None),
    } == entities


@pytest.mark.parametrize(
    ("severity_id", "expected"),
    [
        (0, Severity.MEDIUM),
        (1, Severity.INFORMATIONAL),
        (2, Severity.LOW),
        (3, Severity.MEDIUM),
        (5, Severity.CRITICAL),
        (6, Severity.CRITICAL),
        (99, Severity.MEDIUM),
    ],
)
def test_severity_ids(severity_id: int, expected: Severity) -> None:
    assert normalize(_finding() | {"severity_id": severity_id}).severity is expected


def test_other_ocsf_classes_are_not_detection_findings() -> None:
    with pytest.raises(InputError, match="unrecognised alert format"):
        detect_vendor(_finding() | {"class_uid": 2001})
    with pytest.raises(InputError, match="unrecognised alert format"):
        detect_vendor(_finding() | {"class_uid": "2004"})


def test_finding_info_is_required() -> None:
    finding = _finding()
    del finding["finding_info"]
    with pytest.raises(InputError, match="finding_info"):
        normalize(finding)


# ---- real-shaped samples (tests/data/alerts/shapes/ocsf_detection_finding) ----


def test_product_names_are_not_doubled() -> None:
    prowler, security_hub, edr = (
        normalize(f) for f in shape_samples("ocsf_detection_finding", "detection_findings.json")
    )
    assert prowler.product == "Prowler"
    assert security_hub.product == "AWS Security Hub"
    assert edr.product == "Example EDR"
    assert prowler.severity is Severity.CRITICAL
    assert security_hub.techniques == ("T1071", "T1071.004")
    assert ("domain", "c2.example.org", "queried") in entity_set(security_hub)
    assert ("process", "bash -c /tmp/.x/run --quiet", "parent") in entity_set(edr)
