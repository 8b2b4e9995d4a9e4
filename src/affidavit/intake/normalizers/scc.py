"""Google Security Command Center findings: the Pub/Sub notification or
``ListFindings`` result (``finding`` + ``resource``; a whole ``ListFindings``
response is split into its results by the reader), or a bare ``Finding``.

ATT&CK techniques come from ``mitreAttack`` (technique names, mapped to ids by
``_attack_names``) and from Event Threat Detection's ``detectionCategory``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._fields import (
    EntityBag,
    mapping,
    mappings,
    techniques_in,
    text,
    texts,
)
from affidavit.intake._time import parse_timestamp
from affidavit.intake.model import Alert, EntityKind, Severity
from affidavit.intake.normalizers._attack_names import techniques_named

__all__ = ["NORMALIZER", "SccNormalizer"]

_FINDING_NAME = re.compile(
    r"(organizations|folders|projects)/[^/]+/sources/[^/]+(/locations/[^/]+)?/findings/[^/]+"
)
_SEVERITY = {
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}
_HOST_TYPES = frozenset({"google.compute.Instance"})
_MEMBER_PREFIXES = ("user:", "serviceAccount:", "group:", "principal://", "principalSet://")


def _is_finding(value: object) -> bool:
    name = text(value, "name")
    return name is not None and _FINDING_NAME.fullmatch(name) is not None


def _finding(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    inner = mapping(obj, "finding")
    if inner is not None and _is_finding(inner):
        return inner
    return obj if "category" in obj and _is_finding(obj) else None


def _member(value: str) -> str:
    for prefix in _MEMBER_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def _entities(finding: Mapping[str, Any], resource: Mapping[str, Any]) -> EntityBag:
    bag = EntityBag()
    bag.add(EntityKind.CLOUD_RESOURCE, text(finding, "resourceName"), "impacted")
    bag.add(EntityKind.CLOUD_RESOURCE, text(resource, "name"), "impacted")
    if text(resource, "type") in _HOST_TYPES:
        bag.add(EntityKind.HOST, text(resource, "displayName"), "impacted")
    bag.add_all(EntityKind.IP, texts(finding, "indicator", "ipAddresses"), "indicator")
    bag.add_all(EntityKind.DOMAIN, texts(finding, "indicator", "domains"), "indicator")
    bag.add_all(EntityKind.URL, texts(finding, "indicator", "uris"), "indicator")
    access = mapping(finding, "access") or {}
    bag.add(EntityKind.USER, text(access, "principalEmail"), "actor")
    if text(access, "principalEmail") is None:
        bag.add(EntityKind.USER, text(access, "principalSubject"), "actor")
    bag.add(EntityKind.IP, text(access, "callerIp"), "source")
    for connection in mappings(finding, "connections"):
        bag.add(EntityKind.IP, text(connection, "destinationIp"), "destination")
        bag.add(EntityKind.IP, text(connection, "sourceIp"), "source")
    for process in mappings(finding, "processes"):
        command = " ".join(texts(process, "args")) or text(process, "binary", "path")
        bag.add(EntityKind.PROCESS, command or text(process, "name"), "actor")
        bag.add(EntityKind.FILE, text(process, "binary", "sha256"), "image")
    for file in mappings(finding, "files"):
        bag.add(EntityKind.FILE, text(file, "sha256"), "artifact")
    for binding in mappings(finding, "iamBindings"):
        member = text(binding, "member")
        bag.add(EntityKind.USER, _member(member) if member else None, "target")
    for pod in mappings(finding, "kubernetes", "pods"):
        namespace, name = text(pod, "ns"), text(pod, "name")
        if namespace and name:
            bag.add(EntityKind.CLOUD_RESOURCE, f"namespaces/{namespace}/pods/{name}", "impacted")
        for container in mappings(pod, "containers"):
            bag.add(EntityKind.CLOUD_RESOURCE, text(container, "uri"), "container_image")
    bag.add(EntityKind.USER, text(finding, "database", "userName"), "actor")
    for node in mappings(finding, "kubernetes", "nodes"):
        bag.add(EntityKind.HOST, text(node, "name"), "impacted")
    for side, role in (("sources", "source"), ("targets", "destination")):
        for item in mappings(finding, "exfiltration", side):
            bag.add(EntityKind.CLOUD_RESOURCE, text(item, "name"), role)
    # Event Threat Detection puts the connection of some detectors here.
    properties = mapping(finding, "sourceProperties", "properties") or {}
    bag.add(EntityKind.IP, text(properties, "ip"), "local")
    bag.add(EntityKind.IP, text(properties, "destIp"), "destination")
    bag.add_all(EntityKind.DOMAIN, texts(properties, "domains"), "remote")
    return bag


def _techniques(finding: Mapping[str, Any]) -> list[str]:
    found = techniques_named(finding, "mitreAttack", "primaryTechniques")
    found += techniques_named(finding, "mitreAttack", "additionalTechniques")
    detection = mapping(finding, "sourceProperties", "detectionCategory") or {}
    return techniques_in(found, detection.get("technique"))


def _category(finding: Mapping[str, Any]) -> str | None:
    tactic = text(finding, "mitreAttack", "primaryTactic")
    if tactic and tactic != "TACTIC_UNSPECIFIED":
        return tactic.replace("_", " ").title()
    return text(finding, "findingClass")


class SccNormalizer:
    name = "google_scc"

    def detect(self, obj: Mapping[str, Any]) -> bool:
        return _finding(obj) is not None

    def normalize(self, obj: Mapping[str, Any]) -> Alert:
        finding = _finding(obj)
        if finding is None:
            raise InputError("this is not a Google Security Command Center finding.")
        name = text(finding, "name") or ""
        title = text(finding, "category")
        created = parse_timestamp(finding.get("createTime")) or parse_timestamp(
            finding.get("eventTime")
        )
        if title is None or created is None:
            raise InputError("a Security Command Center finding needs a category and createTime.")
        severity = text(finding, "severity")
        source = text(finding, "parentDisplayName")
        product = "Google Security Command Center"
        return Alert(
            vendor=self.name,
            product=f"{product} ({source})" if source else product,
            vendor_alert_id=name,
            title=title,
            description=text(finding, "description") or "",
            # SEVERITY_UNSPECIFIED and unknown values become medium.
            severity=_SEVERITY.get((severity or "").lower(), Severity.MEDIUM),
            severity_raw=severity,
            created=created,
            category=_category(finding),
            techniques=tuple(_techniques(finding)),
            entities=_entities(finding, mapping(obj, "resource") or {}).entities(),
            raw=obj,
        )


NORMALIZER = SccNormalizer()
