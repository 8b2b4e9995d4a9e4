from __future__ import annotations

from datetime import UTC, datetime

import pytest

from affidavit.errors import InputError
from affidavit.intake import Severity, normalize
from affidavit.intake.normalizers.elastic import ecs

from .._shared import entity_set, shape_samples


def test_ecs_fields_are_found_flattened_nested_or_mixed() -> None:
    doc = {"kibana.alert": {"rule.name": "a"}, "host": {"name": "h"}, "user.name": "u"}
    assert ecs(doc, "kibana.alert.rule.name") == "a"
    assert ecs(doc, "host.name") == "h"
    assert ecs(doc, "user.name") == "u"
    assert ecs(doc, "user.domain") is None
    assert ecs({"a.b": {"c": 1}, "a": {"b.c": 2}}, "a.b.c") == 1  # longest key first


def test_search_response_hits_are_read() -> None:
    office, web, brute = (
        normalize(hit) for hit in shape_samples("elastic_security", "alerts_search_response.json")
    )
    assert office.vendor == "elastic_security"
    assert office.vendor_alert_id.startswith("5d0e3c9b")
    assert office.title == "Suspicious MS Office Child Process"
    assert office.severity is Severity.HIGH
    assert office.category == "Initial Access"
    assert office.techniques == ("T1566", "T1566.001")
    assert office.created == datetime(2025, 12, 2, 8, 16, 1, 442000, tzinfo=UTC)
    entities = entity_set(office)
    assert ("host", "acct-lt-0207.corp.example.com", "impacted") in entities
    assert ("user", r"CORP\s.ito", "actor") in entities
    assert (
        "process",
        r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
        "parent",
    ) in entities
    assert web.severity is Severity.MEDIUM
    assert web.techniques == ("T1102",)
    assert ("url", "https://paste.example.net/raw/x1y2z3", "remote") in entity_set(web)
    assert ("ip", "198.51.100.9", "destination") in entity_set(web)
    assert brute.techniques == ("T1110", "T1110.001")
    assert ("ip", "192.0.2.210", "source") in entity_set(brute)


def test_flattened_documents_and_risk_score_bands() -> None:
    malware, logons, iam = (
        normalize(d) for d in shape_samples("elastic_security", "alert_documents.json")
    )
    assert malware.severity is Severity.CRITICAL
    assert (
        "file",
        "a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9",
        "artifact",
    ) in entity_set(malware)
    assert ("ip", "10.20.0.12", "local") in entity_set(malware)
    assert malware.unmapped is not None
    assert '["file.path"]' in malware.unmapped
    # No severity label: Elastic's risk score bands (21 is low).
    assert (logons.severity, logons.severity_raw) == (Severity.LOW, 21)
    assert ("user", r"CORP\administrator", "target") in entity_set(logons)
    assert ("email", "soc@corp.example.com", "recipient") in entity_set(logons)
    assert (iam.severity, iam.category, iam.techniques) == (Severity.LOW, "Persistence", ("T1098",))
    assert ("ip", "203.0.113.61", "source") in entity_set(iam)


def test_an_alert_without_a_time_is_refused() -> None:
    doc = shape_samples("elastic_security", "alert_documents.json")[1]
    del doc["@timestamp"]
    doc["kibana"]["alert"]["uuid"] = "x"
    with pytest.raises(InputError, match="Elastic Security alert needs"):
        normalize(doc)
