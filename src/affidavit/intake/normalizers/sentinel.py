"""Microsoft Sentinel: ``SecurityAlert`` rows and incidents.

Shapes read:

* a ``SecurityAlert`` row of the Log Analytics table (Logs query results, a
  workspace export or Event Hub stream): PascalCase columns, with ``Entities``,
  ``Techniques`` and ``ExtendedProperties`` as JSON-encoded strings;
* an incident from the Security Insights REST API
  (``type: Microsoft.SecurityInsights/Incidents`` with ``properties``); a page of
  them (``value``) is split by the reader.

The ``Entities`` column is decoded and each entity (``account``, ``host``,
``ip``, ``url``, ``filehash``, ``process``, ``dns``, ``mailbox``,
``mailMessage``, ``azure-resource``, ``cloud-application``) mapped; entities
that other entities only reference (``$ref``) are defined elsewhere in the list.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._fields import (
    EntityBag,
    ident,
    mapping,
    techniques_in,
    text,
    texts,
)
from affidavit.intake._time import parse_timestamp
from affidavit.intake.model import Alert, EntityKind, Severity

__all__ = ["NORMALIZER", "SentinelNormalizer"]

_SEVERITY = {
    "informational": Severity.INFORMATIONAL,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
}
_INCIDENT_TYPE = "microsoft.securityinsights/incidents"
_MAX_ENTITIES_JSON = 1024 * 1024
_MAX_ENTITY_DEPTH = 16


def _is_security_alert(obj: Mapping[str, Any]) -> bool:
    if obj.get("Type") == "SecurityAlert":
        return True
    return isinstance(obj.get("SystemAlertId"), str) and "AlertSeverity" in obj


def _incident(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    kind = obj.get("type")
    properties = mapping(obj, "properties")
    if isinstance(kind, str) and kind.lower() == _INCIDENT_TYPE and properties is not None:
        return properties
    return None


def _decoded(value: str | None) -> Any:
    """A JSON-encoded column, or ``None`` if it is missing, too large or not JSON."""
    if value is None or len(value) > _MAX_ENTITIES_JSON:
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def _entities_in(value: Any, role: str, depth: int = 0) -> Iterator[tuple[Mapping[str, Any], str]]:
    """Every entity object (one with a ``Type``) in the decoded column, with its role:
    an entity defined inline under ``ParentProcess`` is the parent."""
    if depth > _MAX_ENTITY_DEPTH:
        return
    if isinstance(value, list):
        for item in value:
            yield from _entities_in(item, role, depth + 1)
    elif isinstance(value, Mapping):
        if isinstance(value.get("Type"), str):
            yield value, role
        for key, item in value.items():
            if isinstance(item, Mapping | list):
                inner = "parent" if key == "ParentProcess" else role
                yield from _entities_in(item, inner, depth + 1)


def _account(entity: Mapping[str, Any]) -> str | None:
    name, suffix = text(entity, "Name"), text(entity, "UPNSuffix")
    if name and suffix and "@" not in name:
        return f"{name}@{suffix}"
    return None


def _add_entity(bag: EntityBag, entity: Mapping[str, Any], role: str) -> None:
    kind = (text(entity, "Type") or "").lower()
    if kind == "account":
        upn = _account(entity)
        if upn is not None:
            bag.add(EntityKind.USER, upn, "actor")
        else:
            bag.add_user(text(entity, "Name"), text(entity, "NTDomain"), "actor")
        bag.add(EntityKind.USER, text(entity, "Sid"), "actor")
    elif kind == "host":
        name, domain = text(entity, "HostName"), text(entity, "DnsDomain")
        bag.add(EntityKind.HOST, f"{name}.{domain}" if name and domain else name, "impacted")
    elif kind == "ip":
        bag.add(EntityKind.IP, text(entity, "Address"), "related")
    elif kind == "url":
        bag.add(EntityKind.URL, text(entity, "Url"), "related")
    elif kind == "filehash":
        bag.add(EntityKind.FILE, text(entity, "Value"), "artifact")
    elif kind == "process":
        bag.add(EntityKind.PROCESS, text(entity, "CommandLine"), role)
    elif kind == "dns":
        bag.add(EntityKind.DOMAIN, text(entity, "DomainName"), "queried")
    elif kind == "mailbox":
        bag.add(EntityKind.EMAIL, text(entity, "MailboxPrimaryAddress"), "target")
        bag.add(EntityKind.USER, text(entity, "Upn"), "target")
    elif kind == "mailmessage":
        for key in ("Sender", "P1Sender", "P2Sender"):
            bag.add(EntityKind.EMAIL, text(entity, key), "sender")
        bag.add(EntityKind.EMAIL, text(entity, "Recipient"), "recipient")
        bag.add(EntityKind.IP, text(entity, "SenderIP"), "source")
        bag.add_all(EntityKind.URL, texts(entity, "Urls"), "embedded")
    elif kind == "azure-resource":
        bag.add(EntityKind.CLOUD_RESOURCE, text(entity, "ResourceId"), "impacted")
    elif kind == "cloud-application":
        bag.add(EntityKind.CLOUD_RESOURCE, text(entity, "Name"), "application")


def _normalize_alert(obj: Mapping[str, Any], vendor: str) -> Alert:
    alert_id = ident(obj, "SystemAlertId") or ident(obj, "VendorOriginalId")
    title = text(obj, "DisplayName") or text(obj, "AlertName")
    created = parse_timestamp(obj.get("TimeGenerated")) or parse_timestamp(obj.get("StartTime"))
    if alert_id is None or title is None or created is None:
        raise InputError("a Sentinel SecurityAlert needs SystemAlertId, a name and TimeGenerated.")
    bag = EntityBag()
    for entity, role in _entities_in(_decoded(text(obj, "Entities")), "actor"):
        _add_entity(bag, entity, role)
    bag.add(EntityKind.CLOUD_RESOURCE, text(obj, "ResourceId"), "impacted")
    severity = text(obj, "AlertSeverity")
    tactics = (text(obj, "Tactics") or "").split(",")
    return Alert(
        vendor=vendor,
        product=text(obj, "ProductName") or "Microsoft Sentinel",
        vendor_alert_id=alert_id,
        title=title,
        description=text(obj, "Description") or "",
        severity=_SEVERITY.get((severity or "").lower(), Severity.MEDIUM),
        severity_raw=severity,
        created=created,
        category=tactics[0].strip() or None,
        # Techniques and SubTechniques are JSON-encoded lists of ids.
        techniques=tuple(techniques_in(text(obj, "Techniques"), text(obj, "SubTechniques"))),
        entities=bag.entities(),
        raw=obj,
    )


def _normalize_incident(obj: Mapping[str, Any], props: Mapping[str, Any], vendor: str) -> Alert:
    incident_id = ident(obj, "id") or ident(obj, "name")
    title = text(props, "title")
    created = parse_timestamp(props.get("createdTimeUtc")) or parse_timestamp(
        props.get("firstActivityTimeUtc")
    )
    if incident_id is None or title is None or created is None:
        raise InputError("a Sentinel incident needs an id, a title and createdTimeUtc.")
    extra = mapping(props, "additionalData") or {}
    tactics = texts(extra, "tactics")
    severity = text(props, "severity")
    provider = text(props, "providerName")
    product = "Microsoft Sentinel"
    return Alert(
        vendor=vendor,
        product=f"{product} ({provider})"
        if provider and "sentinel" not in provider.lower()
        else product,
        vendor_alert_id=incident_id,
        title=title,
        description=text(props, "description") or "",
        severity=_SEVERITY.get((severity or "").lower(), Severity.MEDIUM),
        severity_raw=severity,
        created=created,
        category=tactics[0] if tactics else None,
        techniques=tuple(techniques_in(texts(extra, "techniques"))),
        raw=obj,
    )


class SentinelNormalizer:
    name = "microsoft_sentinel"

    def detect(self, obj: Mapping[str, Any]) -> bool:
        return _is_security_alert(obj) or _incident(obj) is not None

    def normalize(self, obj: Mapping[str, Any]) -> Alert:
        if _is_security_alert(obj):
            return _normalize_alert(obj, self.name)
        props = _incident(obj)
        if props is None:
            raise InputError("this is not a Microsoft Sentinel alert or incident.")
        return _normalize_incident(obj, props, self.name)


NORMALIZER = SentinelNormalizer()
