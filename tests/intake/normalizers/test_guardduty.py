from __future__ import annotations

from datetime import UTC, datetime

import pytest

from affidavit.errors import InputError
from affidavit.intake import Severity, normalize
from affidavit.intake.normalizers.guardduty import NORMALIZER

from .._shared import entity_set, panther_event, panther_tests, shape_samples, vendor_sample

_PANTHER = "aws_guardduty_high_sev_findings.yml"


def test_eventbridge_finding_normalises() -> None:
    raw = vendor_sample("guardduty.json")
    alert = normalize(raw)
    assert alert.vendor == "aws_guardduty"
    assert alert.vendor_alert_id == "92b49806f26831e4f3895e2f4cd97a52"
    assert alert.title.startswith("EC2 instance i-0a1b2c3d4e5f67890 is querying a domain name")
    assert alert.severity is Severity.HIGH
    assert alert.severity_raw == 8
    assert alert.category == "Backdoor:EC2/C&CActivity.B!DNS"
    assert alert.created == datetime(2025, 1, 20, 14, 32, tzinfo=UTC)
    assert entity_set(alert) == {
        (
            "cloud_resource",
            "arn:aws:ec2:ap-northeast-1:123456789012:instance/i-0a1b2c3d4e5f67890",
            "impacted",
        ),
        ("cloud_resource", "arn:aws:iam::123456789012:instance-profile/WebAppRole", "identity"),
        ("host", "ip-172-31-24-50.ap-northeast-1.compute.internal", "impacted"),
        ("ip", "172.31.24.50", "local"),
        ("ip", "198.51.100.23", "public"),
        ("domain", "xr7v2k9q.com", "queried"),
    }


def test_bare_finding_from_panther_normalises() -> None:
    alert = normalize(panther_event(_PANTHER, "High Sev Finding"))
    assert alert.vendor == "aws_guardduty"
    assert alert.vendor_alert_id == "eeb88ab56556eb7771b266670dddee5a"
    assert alert.severity is Severity.HIGH
    assert alert.category == "PrivilegeEscalation:IAMUser/AdministrativePermissions"
    assert alert.created == datetime(2020, 2, 14, 18, 12, 22, 316000, tzinfo=UTC)
    assert entity_set(alert) == {
        ("domain", "cloudformation.amazonaws.com", "source"),
        ("cloud_resource", "arn:aws:iam::123456789012:role/IAMRole", "affected"),
    }


def test_every_labelled_panther_finding_is_a_guardduty_finding() -> None:
    # ExpectedResult false only marks GuardDuty's own sample findings; they are findings still.
    for test in panther_tests(_PANTHER):
        assert normalize(test["Log"]).vendor == "aws_guardduty"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (9.5, Severity.CRITICAL),
        (9.0, Severity.CRITICAL),
        (8.9, Severity.HIGH),
        (7.0, Severity.HIGH),
        (6.9, Severity.MEDIUM),
        (4, Severity.MEDIUM),
        (3.9, Severity.LOW),
        (1, Severity.LOW),
        (0, Severity.INFORMATIONAL),
    ],
)
def test_severity_bands(value: float, expected: Severity) -> None:
    raw = vendor_sample("guardduty.json")
    raw["detail"]["severity"] = value
    assert NORMALIZER.normalize(raw).severity is expected


def test_finding_without_creation_time_is_refused() -> None:
    event = panther_event(_PANTHER, "High Sev Finding")
    del event["createdAt"]
    with pytest.raises(InputError, match="createdAt"):
        normalize(event)


# ---- real-shaped samples (tests/data/alerts/shapes/aws_guardduty) ----


def test_rds_login_finding_names_the_database_user() -> None:
    rds = normalize(shape_samples("aws_guardduty", "findings.json")[0])
    assert rds.severity is Severity.HIGH
    entities = entity_set(rds)
    assert ("user", "report_ro", "actor") in entities
    assert (
        "cloud_resource",
        "arn:aws:rds:eu-central-1:111122223333:db:orders-db-1",
        "impacted",
    ) in (entities)
    assert ("ip", "198.51.100.14", "source") in entities
    assert rds.unmapped is not None
    assert "resource.rdsDbUserDetails.user" not in rds.unmapped


def test_runtime_findings_name_the_container_image_and_the_process_user() -> None:
    _, eks, ecs = (normalize(f) for f in shape_samples("aws_guardduty", "findings.json"))
    assert eks.severity is Severity.MEDIUM
    entities = entity_set(eks)
    image = "111122223333.dkr.ecr.eu-central-1.amazonaws.com/checkout:2025.11.3"
    assert ("cloud_resource", image, "container_image") in entities
    assert ("user", "app", "actor") in entities
    assert ("process", "/tmp/xmr", "actor") in entities
    assert ("process", "/bin/sh", "parent") in entities
    assert ("process", "/usr/local/bin/node", "ancestor") in entities
    entities = entity_set(ecs)
    assert ("cloud_resource", "public.ecr.aws/example/worker:1.4", "container_image") in entities
    assert ("user", "root", "actor") in entities
    assert ("domain", "pool.mining.example.org", "queried") in entities
    task = "arn:aws:ecs:us-east-2:111122223333:task/batch/0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert ("cloud_resource", task, "impacted") in entities
