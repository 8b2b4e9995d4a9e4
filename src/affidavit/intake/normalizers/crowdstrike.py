"""CrowdStrike Falcon detections.

Shapes read:

* Event Streams ``DetectionSummaryEvent`` / ``EppDetectionSummaryEvent``
  (``metadata`` + ``event``), the same event flat as a SIEM connector writes it
  (``ExternalApiType: Event_EppDetectionSummaryEvent``), or wrapped by Falcon
  Data Replicator (``event`` + ``fdr_event_type``) — PascalCase fields;
* the Detects API summary (``detection_id``, ``device``, ``behaviors``) and the
  Alerts API v2 alert (``composite_id``, ``device``) — snake_case fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._fields import (
    EntityBag,
    get,
    ident,
    mapping,
    mappings,
    number,
    techniques_in,
    text,
)
from affidavit.intake._time import parse_timestamp
from affidavit.intake.model import Alert, EntityKind, Severity

__all__ = ["NORMALIZER", "CrowdStrikeNormalizer"]

_PRODUCT = "CrowdStrike Falcon"
_STREAM_TYPES = frozenset({"DetectionSummaryEvent", "EppDetectionSummaryEvent"})
_EPP_API_TYPE = "Event_EppDetectionSummaryEvent"
_NAMES = {
    "informational": Severity.INFORMATIONAL,
    "info": Severity.INFORMATIONAL,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}
_IOC_KINDS = {
    "hash_sha256": EntityKind.FILE,
    "hash_md5": EntityKind.FILE,
    "sha256": EntityKind.FILE,
    "md5": EntityKind.FILE,
    "domain": EntityKind.DOMAIN,
    "ipv4": EntityKind.IP,
    "ipv6": EntityKind.IP,
}


def _event_record(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The PascalCase detection event inside ``obj`` (or ``obj`` itself), if there is one."""
    inner = mapping(obj, "event")
    if inner is not None and (
        text(obj, "metadata", "eventType") in _STREAM_TYPES
        or text(inner, "ExternalApiType") == _EPP_API_TYPE
    ):
        return inner
    if text(obj, "ExternalApiType") == _EPP_API_TYPE:
        return obj
    has_id = isinstance(obj.get("DetectId"), str) or isinstance(obj.get("CompositeId"), str)
    has_host = "ComputerName" in obj or "Hostname" in obj
    return obj if has_id and has_host and "SeverityName" in obj else None


def _is_api_record(obj: Mapping[str, Any]) -> bool:
    if mapping(obj, "device") is None:
        return False
    if isinstance(obj.get("detection_id"), str) and isinstance(obj.get("behaviors"), list):
        return True
    return isinstance(obj.get("composite_id"), str) and (
        "severity_name" in obj or "severity" in obj
    )


def _severity(name: str | None, value: int | float | None, *, percent: bool) -> Severity:
    if name is not None and name.lower() in _NAMES:
        return _NAMES[name.lower()]
    if value is None:
        return Severity.MEDIUM
    if percent:  # Detects/Alerts API: 1-100, bands as the Falcon console draws them
        bands = ((90, Severity.CRITICAL), (70, Severity.HIGH), (50, Severity.MEDIUM))
        for floor, level in bands:
            if value >= floor:
                return level
        return Severity.LOW if value >= 20 else Severity.INFORMATIONAL
    levels = list(Severity)  # event streams: 1 (informational) .. 5 (critical)
    return levels[min(max(int(value), 1), 5) - 1]


def _add_hashes(
    bag: EntityBag, record: Mapping[str, Any], keys: tuple[str, ...], role: str
) -> None:
    for key in keys:
        digest = text(record, key)
        if digest is not None and digest.strip("0"):
            bag.add(EntityKind.FILE, digest, role)
            return


def _add_ioc(bag: EntityBag, ioc_type: str | None, value: str | None) -> None:
    kind = _IOC_KINDS.get((ioc_type or "").lower())
    if kind is not None:
        bag.add(kind, value, "indicator")


def _event_entities(event: Mapping[str, Any]) -> EntityBag:
    bag = EntityBag()
    bag.add(EntityKind.HOST, text(event, "ComputerName") or text(event, "Hostname"), "impacted")
    bag.add(EntityKind.USER, text(event, "UserName"), "actor")
    bag.add(EntityKind.IP, text(event, "LocalIP"), "local")
    bag.add(EntityKind.IP, text(event, "ExternalIP"), "public")
    bag.add(EntityKind.PROCESS, text(event, "CommandLine") or text(event, "FileName"), "actor")
    bag.add(
        EntityKind.PROCESS,
        text(event, "ParentCommandLine") or text(event, "ParentImageFileName"),
        "parent",
    )
    grandparent = (
        text(event, "GrandparentCommandLine")
        or text(event, "GrandParentCommandLine")
        or text(event, "GrandparentImageFileName")
        or text(event, "GrandParentImageFileName")
    )
    bag.add(EntityKind.PROCESS, grandparent, "grandparent")
    _add_hashes(bag, event, ("SHA256String", "SHA1String", "MD5String"), "image")
    _add_ioc(bag, text(event, "IOCType"), text(event, "IOCValue"))
    for access in mappings(event, "NetworkAccesses"):
        bag.add(EntityKind.IP, text(access, "RemoteAddress"), "remote")
        bag.add(EntityKind.IP, text(access, "LocalAddress"), "local")
    for request in mappings(event, "DnsRequests"):
        bag.add(EntityKind.DOMAIN, text(request, "DomainName"), "queried")
    return bag


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
    return Alert(
        vendor=NORMALIZER.name,
        product=_PRODUCT,
        vendor_alert_id=alert_id,
        title=title,
        description=text(event, "DetectDescription") or text(event, "Description") or "",
        severity=_severity(text(event, "SeverityName"), number(event, "Severity"), percent=False),
        severity_raw=text(event, "SeverityName") or number(event, "Severity"),
        created=created,
        category=tactic if tactic and tactic.upper() != "N/A" else None,
        techniques=tuple(techniques_in(event.get("TechniqueId"))),
        entities=_event_entities(event).entities(),
        raw=obj,
    )


def _api_entities(obj: Mapping[str, Any], behaviors: list[Mapping[str, Any]]) -> EntityBag:
    bag = EntityBag()
    device = mapping(obj, "device") or {}
    bag.add(EntityKind.HOST, text(device, "hostname"), "impacted")
    bag.add(EntityKind.IP, text(device, "local_ip"), "local")
    bag.add(EntityKind.IP, text(device, "external_ip"), "public")
    for behavior in behaviors:
        bag.add(EntityKind.USER, text(behavior, "user_principal"), "actor")
        bag.add(EntityKind.USER, text(behavior, "user_name"), "actor")
        bag.add(
            EntityKind.PROCESS, text(behavior, "cmdline") or text(behavior, "filename"), "actor"
        )
        _add_hashes(bag, behavior, ("sha256", "sha1", "md5"), "image")
        parent = mapping(behavior, "parent_details") or {}
        parent_command = text(parent, "parent_cmdline") or text(parent, "cmdline")
        bag.add(EntityKind.PROCESS, parent_command or text(parent, "filename"), "parent")
        _add_hashes(bag, parent, ("parent_sha256", "sha256", "parent_md5", "md5"), "parent_image")
        _add_ioc(bag, text(behavior, "ioc_type"), text(behavior, "ioc_value"))
    return bag


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
    return Alert(
        vendor=NORMALIZER.name,
        product=_PRODUCT,
        vendor_alert_id=alert_id,
        title=title,
        description=text(obj, "description") or text(first, "description") or "",
        severity=_severity(severity_name, severity_value, percent=True),
        severity_raw=severity_name or severity_value,
        created=created,
        category=text(first, "tactic"),
        techniques=tuple(techniques_in(*(b.get("technique_id") for b in behaviors))),
        entities=_api_entities(obj, behaviors).entities(),
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
