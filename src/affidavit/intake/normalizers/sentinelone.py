"""SentinelOne threats (Management API v2.1 ``GET /web/api/v2.1/threats``).

A threat carries ``threatInfo`` (what was found and how it was handled),
``agentDetectionInfo`` (the endpoint as it was at detection) and
``agentRealtimeInfo`` (the endpoint now), ``indicators`` with ATT&CK tactics and
techniques, and for workloads ``containerInfo`` / ``kubernetesInfo``. A page of
threats (``data`` + ``pagination``) is split by the reader.

SentinelOne gives no severity: the confidence level stands in for it
(``malicious`` high, ``suspicious`` medium).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._fields import (
    EntityBag,
    ident,
    mapping,
    mappings,
    techniques_in,
    text,
    texts,
)
from affidavit.intake._time import parse_timestamp
from affidavit.intake.model import Alert, EntityKind, Severity

__all__ = ["NORMALIZER", "SentinelOneNormalizer"]

_CONFIDENCE = {"malicious": Severity.HIGH, "suspicious": Severity.MEDIUM}


def _is_threat(obj: Mapping[str, Any]) -> bool:
    return mapping(obj, "threatInfo") is not None and (
        mapping(obj, "agentRealtimeInfo") is not None
        or mapping(obj, "agentDetectionInfo") is not None
    )


def _add_ips(bag: EntityBag, value: str | None, role: str) -> None:
    # agentIpV4 lists every address of the agent in one comma-separated string.
    for address in (value or "").split(","):
        bag.add(EntityKind.IP, address.strip(), role)


def _entities(obj: Mapping[str, Any], info: Mapping[str, Any]) -> EntityBag:
    bag = EntityBag()
    realtime = mapping(obj, "agentRealtimeInfo") or {}
    detection = mapping(obj, "agentDetectionInfo") or {}
    host = text(realtime, "agentComputerName") or text(detection, "agentComputerName")
    bag.add(EntityKind.HOST, host, "impacted")
    _add_ips(bag, text(detection, "agentIpV4"), "local")
    _add_ips(bag, text(detection, "agentIpV6"), "local")
    bag.add(EntityKind.IP, text(detection, "externalIp"), "public")
    for interface in mappings(realtime, "networkInterfaces"):
        bag.add_all(EntityKind.IP, texts(interface, "inet") + texts(interface, "inet6"), "local")
    bag.add_user(text(detection, "agentLastLoggedInUserName"), None, "logged_on")
    bag.add(EntityKind.USER, text(detection, "agentLastLoggedInUpn"), "logged_on")
    bag.add_user(text(info, "processUser"), None, "actor")
    for key in ("sha256", "sha1", "md5"):
        if text(info, key) is not None:
            bag.add(EntityKind.FILE, text(info, key), "artifact")
            break
    path, arguments = text(info, "filePath"), text(info, "maliciousProcessArguments")
    bag.add(EntityKind.PROCESS, f"{path} {arguments}" if path and arguments else path, "actor")
    bag.add(EntityKind.PROCESS, text(info, "originatorProcess"), "originator")
    bag.add(EntityKind.CLOUD_RESOURCE, text(obj, "containerInfo", "image"), "container_image")
    kubernetes = mapping(obj, "kubernetesInfo") or {}
    namespace, pod = text(kubernetes, "namespace"), text(kubernetes, "pod")
    if namespace and pod:
        bag.add(EntityKind.CLOUD_RESOURCE, f"namespaces/{namespace}/pods/{pod}", "impacted")
    return bag


def _techniques(obj: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for indicator in mappings(obj, "indicators"):
        for tactic in mappings(indicator, "tactics"):
            for technique in mappings(tactic, "techniques"):
                found.extend(texts(technique, "title"))
    return techniques_in(found)


def _tactic(obj: Mapping[str, Any]) -> str | None:
    for indicator in mappings(obj, "indicators"):
        for tactic in mappings(indicator, "tactics"):
            name = text(tactic, "name")
            if name:
                return name
    return None


def _description(info: Mapping[str, Any]) -> str:
    parts = []
    classification, confidence = text(info, "classification"), text(info, "confidenceLevel")
    if classification:
        parts.append(f"{classification}" + (f" ({confidence})" if confidence else "") + ".")
    for label, key in (
        ("Detected by", "detectionType"),
        ("Mitigation", "mitigationStatus"),
        ("Incident status", "incidentStatus"),
        ("Analyst verdict", "analystVerdict"),
    ):
        value = text(info, key)
        if value:
            parts.append(f"{label}: {value}.")
    return " ".join(parts)


class SentinelOneNormalizer:
    name = "sentinelone"

    def detect(self, obj: Mapping[str, Any]) -> bool:
        return _is_threat(obj)

    def normalize(self, obj: Mapping[str, Any]) -> Alert:
        info = mapping(obj, "threatInfo")
        if info is None or not _is_threat(obj):
            raise InputError("this is not a SentinelOne threat.")
        threat_id = ident(obj, "id") or ident(info, "threatId")
        title = text(info, "threatName") or text(info, "classification")
        created = (
            parse_timestamp(info.get("identifiedAt"))
            or parse_timestamp(info.get("createdAt"))
            or parse_timestamp(obj.get("createdAt"))
        )
        if threat_id is None or title is None or created is None:
            raise InputError("a SentinelOne threat needs an id, a threat name and a time.")
        confidence = text(info, "confidenceLevel")
        return Alert(
            vendor=self.name,
            product="SentinelOne Singularity",
            vendor_alert_id=threat_id,
            title=title,
            description=_description(info),
            severity=_CONFIDENCE.get((confidence or "").lower(), Severity.MEDIUM),
            severity_raw=confidence,
            created=created,
            category=_tactic(obj) or text(info, "classification"),
            techniques=tuple(_techniques(obj)),
            entities=_entities(obj, info).entities(),
            raw=obj,
        )


NORMALIZER = SentinelOneNormalizer()
