from __future__ import annotations

from datetime import UTC, datetime

import pytest

from affidavit.errors import InputError
from affidavit.intake import Severity, normalize

from .._shared import entity_set, shape_samples


def test_issues_are_read() -> None:
    toxic, threat, config = (normalize(i) for i in shape_samples("wiz", "issues_page.json"))
    assert toxic.vendor == "wiz"
    assert toxic.product == "Wiz"
    assert toxic.vendor_alert_id == "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0"
    assert toxic.severity is Severity.CRITICAL
    assert toxic.category == "TOXIC_COMBINATION"
    assert toxic.techniques == ("T1190",)  # only the MITRE sub-categories
    assert toxic.created == datetime(2025, 12, 1, 12, tzinfo=UTC)
    assert toxic.description.startswith("A VM reachable from the internet")
    entities = entity_set(toxic)
    arn = "arn:aws:ec2:eu-central-1:111122223333:instance/i-0a1b2c3d4e5f60718"
    assert ("cloud_resource", arn, "impacted") in entities
    assert ("host", "web-frontend-2", "impacted") in entities
    assert threat.severity is Severity.HIGH
    assert threat.techniques == ("T1496",)
    assert (
        threat.description
        == "A workload resolved the domain of a known cryptocurrency mining pool."
    )
    assert config.description == "The bucket policy grants read access to anyone on the internet."
    assert ("cloud_resource", "arn:aws:s3:::shop-exports", "impacted") in entity_set(config)


def test_an_issue_without_a_rule_name_is_refused() -> None:
    issue = shape_samples("wiz", "issues_page.json")[2]
    del issue["sourceRule"]["name"]
    with pytest.raises(InputError, match="Wiz issue needs"):
        normalize(issue)
