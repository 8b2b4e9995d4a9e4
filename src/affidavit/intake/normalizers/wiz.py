"""Wiz issues, as the GraphQL API returns them (``issues`` / ``issuesV2`` nodes).

An issue names the rule that raised it (``sourceRule``: a Control, a Cloud
Event Rule or a Cloud Configuration Rule, each with its own description field)
and a snapshot of the affected resource (``entitySnapshot``). A page of issues
(``data.issues.nodes``) is split by the reader. ATT&CK techniques come from the
rule's MITRE security sub-categories.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._fields import EntityBag, ident, mapping, mappings, techniques_in, text
from affidavit.intake._time import parse_timestamp
from affidavit.intake.model import Alert, EntityKind, Severity

__all__ = ["NORMALIZER", "WizNormalizer"]

_SEVERITY = {
    "informational": Severity.INFORMATIONAL,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}
# The rule's description under the alias the documented query gives each rule type.
_DESCRIPTIONS = (
    "description",
    "controlDescription",
    "cloudEventRuleDescription",
    "cloudConfigurationRuleDescription",
)
_HOST_TYPES = frozenset({"VIRTUAL_MACHINE", "CONTAINER_HOST"})


def _is_issue(obj: Mapping[str, Any]) -> bool:
    return mapping(obj, "sourceRule") is not None and mapping(obj, "entitySnapshot") is not None


def _techniques(rule: Mapping[str, Any]) -> list[str]:
    titles = []
    for sub in mappings(rule, "securitySubCategories"):
        framework = text(sub, "category", "framework", "name") or ""
        if "mitre" in framework.lower():
            titles.append(text(sub, "title"))
    return techniques_in(titles)


def _entities(snapshot: Mapping[str, Any]) -> EntityBag:
    bag = EntityBag()
    resource = text(snapshot, "providerId") or text(snapshot, "externalId")
    bag.add(EntityKind.CLOUD_RESOURCE, resource, "impacted")
    if text(snapshot, "type") in _HOST_TYPES:
        bag.add(EntityKind.HOST, text(snapshot, "name"), "impacted")
    bag.add(EntityKind.CLOUD_RESOURCE, text(snapshot, "subscriptionExternalId"), "account")
    return bag


class WizNormalizer:
    name = "wiz"

    def detect(self, obj: Mapping[str, Any]) -> bool:
        return _is_issue(obj)

    def normalize(self, obj: Mapping[str, Any]) -> Alert:
        rule, snapshot = mapping(obj, "sourceRule"), mapping(obj, "entitySnapshot")
        if rule is None or snapshot is None:
            raise InputError("this is not a Wiz issue.")
        issue_id, title = ident(obj, "id"), text(rule, "name")
        created = parse_timestamp(obj.get("createdAt"))
        if issue_id is None or title is None or created is None:
            raise InputError("a Wiz issue needs an id, a source rule name and createdAt.")
        description = next((d for d in (text(rule, k) for k in _DESCRIPTIONS) if d), "")
        severity = text(obj, "severity")
        return Alert(
            vendor=self.name,
            product="Wiz",
            vendor_alert_id=issue_id,
            title=title,
            description=description,
            severity=_SEVERITY.get((severity or "").lower(), Severity.MEDIUM),
            severity_raw=severity,
            created=created,
            category=text(obj, "type"),
            techniques=tuple(_techniques(rule)),
            entities=_entities(snapshot).entities(),
            raw=obj,
        )


NORMALIZER = WizNormalizer()
