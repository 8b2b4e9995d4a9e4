"""How tests read the vendor sample data kept in ``tests/data`` (see its SOURCES.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import TEST_DATA


def shared_data() -> Path:
    """The sample data folder inside the repository."""
    return TEST_DATA


def vendor_sample(name: str) -> dict[str, Any]:
    """One native vendor alert from ``alerts/vendor``."""
    loaded: dict[str, Any] = json.loads((shared_data() / "alerts" / "vendor" / name).read_text())
    return loaded


def panther_tests(rule_file: str) -> list[dict[str, Any]]:
    """The labelled ``Tests:`` of one Panther rule file."""
    document = yaml.safe_load((shared_data() / "alerts" / "panther" / rule_file).read_text())
    tests: list[dict[str, Any]] = document["Tests"]
    return tests


def panther_event(rule_file: str, test_name: str) -> dict[str, Any]:
    for test in panther_tests(rule_file):
        if test["Name"] == test_name:
            event: dict[str, Any] = test["Log"]
            return event
    raise AssertionError(f"{rule_file} has no test named {test_name!r}")


def entity_set(alert: Any) -> set[tuple[str, str, str | None]]:
    return {(e.kind.value, e.value, e.role) for e in alert.entities}


def values_of(alert: Any, kind: str) -> set[str]:
    return {e.value for e in alert.entities if e.kind.value == kind}


def shapes_dir() -> Path:
    """Real-shaped samples written from vendor documentation (see SOURCES.md)."""
    return shared_data() / "alerts" / "shapes"


def shape_samples(vendor: str, file_name: str) -> list[dict[str, Any]]:
    """The alerts in one shapes file, as the reader finds them (pages unwrapped)."""
    from affidavit.intake import read_alerts

    return list(read_alerts((shapes_dir() / vendor / file_name).read_bytes()))
