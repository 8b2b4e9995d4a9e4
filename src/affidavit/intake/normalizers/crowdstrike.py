"""CrowdStrike Falcon detections.

Shapes read:

* Event Streams ``DetectionSummaryEvent``, ``EppDetectionSummaryEvent`` and
  ``IdpDetectionSummaryEvent`` (``metadata`` + ``event``; the event type in any
  letter case), the same event flat as a SIEM connector writes it
  (``ExternalApiType: Event_EppDetectionSummaryEvent``), or wrapped by Falcon
  Data Replicator (``event`` + ``fdr_event_type``) — PascalCase fields;
* the Detects API summary (``detection_id``, ``device``, ``behaviors``) and the
  Alerts API v2 alert (``composite_id``): endpoint alerts with a ``device``,
  Identity Protection (``product: idp``) and other products without one —
  snake_case fields.

Severity: the vendor's name (``SeverityName``, ``severity_name``) when present;
otherwise the number on its documented scale: 1-5 for ``DetectionSummaryEvent``,
10-90 for ``EppDetectionSummaryEvent`` (10 informational, 30 low, 50 medium,
70 high, 90 critical) and 1-100 for the Alerts API, banded as Falcon's query
language documents them (>= 90 critical, >= 70 high, >= 50 medium, >= 20 low).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._fields import get, ident, mapping, mappings, number, techniques_in, text
from affidavit.intake._time import parse_timestamp
from affidavit.intake.model import Alert, Severity
from affidavit.intake.normalizers._attack_names import techniques_named
from affidavit.intake.normalizers._crowdstrike_entities import api_entities, event_entities

__all__ = ["NORMALIZER", "CrowdStrikeNormalizer"]

_PRODUCT = "CrowdStrike Falcon"
# Matched without case: feeds write "EPPDetectionSummaryEvent" as often as "Epp...".
_STREAM_TYPES = frozenset(
    {"detectionsummaryevent", "eppdetectionsummaryevent", "idpdetectionsummaryevent"}
)
_API_TYPES = frozenset(f"event_{name}" for name in _STREAM_TYPES)
# Alerts API ``product`` codes.
_PRODUCTS = {
    "epp": _PRODUCT,
    "idp": "CrowdStrike Falcon Identity Protection",
    "xdr": "CrowdStrike Falcon Insight XDR",
    "overwatch": "CrowdStrike Falcon OverWatch",
    "mobile": "CrowdStrike Falcon for Mobile",
    "cwpp": "CrowdStrike Falcon Cloud Security",
}
_NAMES = {
    "informational": Severity.INFORMATIONAL,
    "info": Severity.INFORMATIONAL,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


def _lower(value: str | None) -> str:
    return (value or "").lower()


def _event_record(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The PascalCase detection event inside ``obj`` (or ``obj`` itself), if there is one."""
    inner = mapping(obj, "event")
    if inner is not None and (
        _lower(text(obj, "metadata", "eventType")) in _STREAM_TYPES
        or _lower(text(inner, "ExternalApiType")) in _API_TYPES
    ):
        return inner
    if _lower(text(obj, "ExternalApiType")) in _API_TYPES:
        return obj
    has_id = isinstance(obj.get("DetectId"), str) or isinstance(obj.get("CompositeId"), str)
    has_host = "ComputerName" in obj or "Hostname" in obj
    return obj if has_id and has_host and "SeverityName" in obj else None


def _is_api_record(obj: Mapping[str, Any]) -> bool:
    if isinstance(obj.get("detection_id"), str) and isinstance(obj.get("behaviors"), list):
        return mapping(obj, "device") is not None
    # Alerts API v2: endpoint alerts carry a device, Identity Protection ones do not.
    return isinstance(obj.get("composite_id"), str) and (
        "severity_name" in obj or "severity" in obj
    )


def _severity(name: str | None, value: int | float | None, *, percent: bool) -> Severity:
    if name is not None and name.lower() in _NAMES:
        return _NAMES[name.lower()]
    if value is None:
        return Severity.MEDIUM
    if percent or value > 5:  # 10-90 (EPP events) and 1-100 (APIs) share the bands
        bands = ((90, Severity.CRITICAL), (70, Severity.HIGH), (50, Severity.MEDIUM))
        for floor, level in bands:
            if value >= floor:
                return level
        return Severity.LOW if value >= 20 else Severity.INFORMATIONAL
    levels = list(Severity)  # DetectionSummaryEvent: 1 (informational) .. 5 (critical)
    return levels[min(max(int(value), 1), 5) - 1]


def _normalize_event(obj: Mapping[str, Any], event: Mapping[str, Any]) -> Alert:
    alert_id = ident(event, "DetectId") or ident(event, "CompositeId") or ident(event, "EventUUID")
    title = text(event, "DetectName") or text(event, "Name")
    created = (
        parse_timestamp(get(obj, "metadata", "eventCreationTime"))
        or parse_timestamp(event.get("UTCTimestamp"))
        or parse_timestamp(event.get("timestamp"))
        or parse_timestamp(obj.get("timestamp"))
    )
    if alert_id is None or title is None or created is None:
        raise InputError("a CrowdStrike detection event needs a detection id, a name and a time.")
    tactic = text(event, "Tactic")
    identity = _lower(text(obj, "metadata", "eventType")).startswith("idp")
    return Alert(
        vendor=NORMALIZER.name,
        product=_PRODUCTS["idp"] if identity else _PRODUCT,
        vendor_alert_id=alert_id,
        title=title,
        description=text(event, "DetectDescription") or text(event, "Description") or "",
        severity=_severity(text(event, "SeverityName"), number(event, "Severity"), percent=False),
        severity_raw=text(event, "SeverityName") or number(event, "Severity"),
        created=created,
        category=tactic if tactic and tactic.upper() != "N/A" else None,
        techniques=tuple(
            techniques_in(event.get("TechniqueId")) or techniques_named(event, "Technique")
        ),
        entities=event_entities(event).entities(),
        raw=obj,
    )


def _api_techniques(behaviors: list[Mapping[str, Any]]) -> list[str]:
    found: list[str] = []
    for behavior in behaviors:
        ids = techniques_in(behavior.get("technique_id"))
        found += ids or techniques_named(behavior, "technique")
    return list(dict.fromkeys(found))


def _normalize_api(obj: Mapping[str, Any]) -> Alert:
    # An Alerts API v2 record is a single behaviour; a Detects summary lists several.
    behaviors = mappings(obj, "behaviors") or [obj]
    first = behaviors[0]
    alert_id = ident(obj, "composite_id") or ident(obj, "detection_id")
    created = (
        parse_timestamp(obj.get("created_timestamp"))
        or parse_timestamp(obj.get("first_behavior"))
        or parse_timestamp(obj.get("timestamp"))
        or parse_timestamp(first.get("timestamp"))
    )
    if alert_id is None or created is None:
        raise InputError("a CrowdStrike API detection needs an id and created_timestamp.")
    title = (
        text(obj, "display_name")
        or text(obj, "name")
        or text(first, "display_name")
        or text(first, "scenario")
        or "CrowdStrike Falcon detection"
    )
    severity_name = text(obj, "severity_name") or text(obj, "max_severity_displayname")
    severity_value = number(obj, "severity")
    if severity_value is None:
        severity_value = number(obj, "max_severity")
    code = text(obj, "product")
    return Alert(
        vendor=NORMALIZER.name,
        product=_PRODUCTS.get(code.lower(), f"{_PRODUCT} ({code})") if code else _PRODUCT,
        vendor_alert_id=alert_id,
        title=title,
        description=text(obj, "description") or text(first, "description") or "",
        severity=_severity(severity_name, severity_value, percent=True),
        severity_raw=severity_name or severity_value,
        created=created,
        category=text(first, "tactic"),
        techniques=tuple(_api_techniques(behaviors)),
        entities=api_entities(obj, behaviors).entities(),
        raw=obj,
    )


class CrowdStrikeNormalizer:
    name = "crowdstrike_falcon"

    def detect(self, obj: Mapping[str, Any]) -> bool:
        return _event_record(obj) is not None or _is_api_record(obj)

    def normalize(self, obj: Mapping[str, Any]) -> Alert:
        event = _event_record(obj)
        if event is not None:
            return _normalize_event(obj, event)
        if _is_api_record(obj):
            return _normalize_api(obj)
        raise InputError("this is not a CrowdStrike Falcon detection.")


NORMALIZER = CrowdStrikeNormalizer()
