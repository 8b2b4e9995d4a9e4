"""Okta System Log events (``/api/v1/logs``), e.g. ThreatInsight's
``security.threat.detected``.

Some pipelines (Panther among them) lower-case the top-level field names
(``eventtype``, ``debugcontext``), so top-level keys are matched without case.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._fields import (
    EntityBag,
    ident,
    lower_keys,
    mappings,
    text,
)
from affidavit.intake._time import parse_timestamp
from affidavit.intake.model import Alert, EntityKind, Severity

__all__ = ["NORMALIZER", "OktaNormalizer"]

_SEVERITY = {
    "debug": Severity.INFORMATIONAL,
    "info": Severity.INFORMATIONAL,
    "warn": Severity.MEDIUM,
    "error": Severity.HIGH,
}
_THREAT_LEVELS = {"low": Severity.LOW, "medium": Severity.MEDIUM, "high": Severity.HIGH}
_MAX_THREAT_JSON = 8192


def _threat_detections(event: Mapping[str, Any]) -> dict[str, str]:
    """ThreatInsight's ``threatDetections``: a JSON string mapping threat name to level."""
    encoded = text(event, "debugcontext", "debugData", "threatDetections")
    if encoded is None or len(encoded) > _MAX_THREAT_JSON:
        return {}
    try:
        decoded = json.loads(encoded)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(decoded, dict):
        return {}
    return {name: level for name, level in decoded.items() if isinstance(level, str)}


def _severity(label: str | None, threats: dict[str, str]) -> Severity:
    # ThreatInsight rates each detected threat; the strongest rating says more than
    # the event's generic WARN.
    rated = [
        _THREAT_LEVELS[level.lower()]
        for level in threats.values()
        if level.lower() in _THREAT_LEVELS
    ]
    if rated:
        return max(rated, key=lambda level: level.rank)
    return _SEVERITY.get((label or "").lower(), Severity.MEDIUM)


def _description(event: Mapping[str, Any], threats: dict[str, str]) -> str:
    parts = []
    result, reason = text(event, "outcome", "result"), text(event, "outcome", "reason")
    if result:
        parts.append(f"Outcome: {result}" + (f" ({reason})" if reason else "") + ".")
    if threats:
        rated = ", ".join(f"{name} ({level})" for name, level in threats.items())
        parts.append(f"Threats detected: {rated}.")
    return " ".join(parts)


def _add_principal(bag: EntityBag, principal: object, role: str) -> None:
    kind = (text(principal, "type") or "").lower()
    if kind == "user":
        bag.add(EntityKind.USER, text(principal, "alternateId"), role)
    elif kind == "ip address":
        bag.add(EntityKind.IP, text(principal, "id"), "source")
    elif kind == "appinstance":
        bag.add(EntityKind.CLOUD_RESOURCE, text(principal, "alternateId"), "application")


def _entities(event: Mapping[str, Any]) -> EntityBag:
    bag = EntityBag()
    _add_principal(bag, event.get("actor"), "actor")
    for target in mappings(event, "target"):
        _add_principal(bag, target, "target")
    bag.add(EntityKind.IP, text(event, "client", "ipAddress"), "source")
    for hop in mappings(event, "request", "ipChain"):
        bag.add(EntityKind.IP, text(hop, "ip"), "source")
    return bag


class OktaNormalizer:
    name = "okta"

    def detect(self, obj: Mapping[str, Any]) -> bool:
        event = lower_keys(obj)
        return (
            isinstance(event.get("eventtype"), str)
            and isinstance(event.get("uuid"), str)
            and "published" in event
            and isinstance(event.get("actor"), Mapping)
        )

    def normalize(self, obj: Mapping[str, Any]) -> Alert:
        if not self.detect(obj):
            raise InputError("this is not an Okta System Log event.")
        event = lower_keys(obj)
        event_type = text(event, "eventtype")
        uuid = ident(event, "uuid")
        created = parse_timestamp(event.get("published"))
        if event_type is None or uuid is None or created is None:
            raise InputError("an Okta System Log event needs eventType, uuid and published.")
        threats = _threat_detections(event)
        severity = text(event, "severity")
        return Alert(
            vendor=self.name,
            product="Okta",
            vendor_alert_id=uuid,
            title=text(event, "displaymessage") or event_type,
            description=_description(event, threats),
            severity=_severity(severity, threats),
            severity_raw=severity,
            created=created,
            category=event_type,
            entities=_entities(event).entities(),
            raw=obj,
        )


NORMALIZER = OktaNormalizer()
