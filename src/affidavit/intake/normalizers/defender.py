"""Microsoft Defender alerts.

Three shapes are read:

* the Microsoft Graph security alert (``/security/alerts_v2``, Defender XDR),
  with typed ``evidence`` (see ``_defender_graph``);
* the Defender for Endpoint API alert (``GET /api/alerts``, with ``evidence``,
  a list or, from some exports, a single object);
* the Defender XDR Advanced Hunting ``AlertInfo`` record, bare or as delivered by
  the streaming API (``category: AdvancedHunting-AlertInfo`` with ``properties``).

``AlertEvidence`` records are evidence rows, not alerts, and are not accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._fields import (
    EntityBag,
    ident,
    joined_path,
    mapping,
    mappings,
    techniques_in,
    text,
)
from affidavit.intake._time import parse_timestamp
from affidavit.intake.model import Alert, EntityKind, Severity
from affidavit.intake.normalizers._defender_graph import is_graph_alert, normalize_graph_alert

__all__ = ["NORMALIZER", "DefenderNormalizer"]

_SEVERITY = {
    "informational": Severity.INFORMATIONAL,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
}
_ALERT_INFO = "AdvancedHunting-AlertInfo"
_ALERT_INFO_COLUMNS = ("AlertId", "Title", "ServiceSource", "DetectionSource")


def _severity(label: str | None) -> Severity:
    # "UnSpecified" and unknown labels become medium: neither dismissed nor inflated.
    return _SEVERITY.get((label or "").lower(), Severity.MEDIUM)


def _is_api_alert(obj: Mapping[str, Any]) -> bool:
    return (
        isinstance(obj.get("id"), str)
        and "alertCreationTime" in obj
        and any(key in obj for key in ("machineId", "computerDnsName", "detectionSource"))
    )


def _alert_info_row(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    properties = mapping(obj, "properties")
    if obj.get("category") == _ALERT_INFO and properties is not None:
        return properties
    if all(column in obj for column in _ALERT_INFO_COLUMNS) and "EntityType" not in obj:
        return obj
    return None


def _upn_by_account(evidence: list[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """UPNs that evidence rows reveal for DOMAIN\\name accounts, to name each user once."""
    known: dict[tuple[str, str], str] = {}
    for item in evidence:
        name, domain, upn = (
            text(item, "accountName"),
            text(item, "domainName"),
            text(item, "userPrincipalName"),
        )
        if name and upn:
            known[((domain or "").lower(), name.lower())] = upn
    return known


def _add_account(
    bag: EntityBag, known: dict[tuple[str, str], str], user: Mapping[str, Any], name_key: str
) -> None:
    name, domain = text(user, name_key), text(user, "domainName")
    upn = text(user, "userPrincipalName")
    if upn is None and name is not None:
        upn = known.get(((domain or "").lower(), name.lower()))
    if upn is not None:
        bag.add(EntityKind.USER, upn, "actor")
    else:
        bag.add_user(name, domain, "actor")
    bag.add(EntityKind.USER, text(user, "userSid"), "actor")


def _add_file_hash(bag: EntityBag, item: Mapping[str, Any], role: str) -> None:
    # One entity per file: the strongest hash the vendor gives.
    for key in ("sha256", "sha1", "md5"):
        digest = text(item, key)
        if digest is not None:
            bag.add(EntityKind.FILE, digest, role)
            return


def _api_entities(obj: Mapping[str, Any]) -> EntityBag:
    bag = EntityBag()
    evidence = mappings(obj, "evidence")
    known = _upn_by_account(evidence)
    bag.add(EntityKind.HOST, text(obj, "computerDnsName"), "impacted")
    related = mapping(obj, "relatedUser")
    if related is not None:
        _add_account(bag, known, related, "userName")
    for user in mappings(obj, "loggedOnUsers"):
        _add_account(bag, known, user, "userName")
    for item in evidence:
        kind = (text(item, "entityType") or "").lower()
        if kind == "process":
            image = joined_path(text(item, "filePath"), text(item, "fileName"))
            bag.add(EntityKind.PROCESS, text(item, "processCommandLine") or image, "actor")
            parent = joined_path(
                text(item, "parentProcessFilePath"), text(item, "parentProcessFileName")
            )
            bag.add(EntityKind.PROCESS, parent, "parent")
            _add_file_hash(bag, item, "image")
            _add_account(bag, known, item, "accountName")
        elif kind == "file":
            _add_file_hash(bag, item, "artifact")
        elif kind == "ip":
            bag.add(EntityKind.IP, text(item, "ipAddress"), "remote")
        elif kind == "url":
            bag.add(EntityKind.URL, text(item, "url"), "remote")
        elif kind == "user":
            _add_account(bag, known, item, "accountName")
        elif kind == "machine":
            bag.add(EntityKind.HOST, text(item, "computerDnsName"), "impacted")
    return bag


def _normalize_api_alert(obj: Mapping[str, Any]) -> Alert:
    alert_id = ident(obj, "id")
    title = text(obj, "title") or text(obj, "threatName")
    created = parse_timestamp(obj.get("alertCreationTime")) or parse_timestamp(
        obj.get("firstEventTime")
    )
    if alert_id is None or title is None or created is None:
        raise InputError(
            "a Defender for Endpoint alert needs an id, a title and alertCreationTime."
        )
    return Alert(
        vendor=NORMALIZER.name,
        product="Microsoft Defender for Endpoint",
        vendor_alert_id=alert_id,
        title=title,
        description=text(obj, "description") or "",
        severity=_severity(text(obj, "severity")),
        severity_raw=text(obj, "severity"),
        created=created,
        category=text(obj, "category"),
        techniques=tuple(techniques_in(obj.get("mitreTechniques"))),
        entities=_api_entities(obj).entities(),
        raw=obj,
    )


def _normalize_alert_info(obj: Mapping[str, Any], row: Mapping[str, Any]) -> Alert:
    alert_id, title = ident(row, "AlertId"), text(row, "Title")
    created = parse_timestamp(row.get("Timestamp")) or parse_timestamp(obj.get("time"))
    if alert_id is None or title is None or created is None:
        raise InputError("a Defender AlertInfo record needs AlertId, Title and Timestamp.")
    source = text(row, "ServiceSource")
    detection = text(row, "DetectionSource")
    return Alert(
        vendor=NORMALIZER.name,
        product=f"Microsoft Defender XDR ({source})" if source else "Microsoft Defender XDR",
        vendor_alert_id=alert_id,
        title=title,
        description=f"Detected by {detection}." if detection else "",
        severity=_severity(text(row, "Severity")),
        severity_raw=text(row, "Severity"),
        created=created,
        category=text(row, "Category"),
        # AttackTechniques is a JSON-encoded list of "Name (T1234.001)" strings.
        techniques=tuple(techniques_in(row.get("AttackTechniques"))),
        raw=obj,
    )


class DefenderNormalizer:
    name = "microsoft_defender"

    def detect(self, obj: Mapping[str, Any]) -> bool:
        return is_graph_alert(obj) or _is_api_alert(obj) or _alert_info_row(obj) is not None

    def normalize(self, obj: Mapping[str, Any]) -> Alert:
        if is_graph_alert(obj):
            return normalize_graph_alert(obj, self.name)
        if _is_api_alert(obj):
            return _normalize_api_alert(obj)
        row = _alert_info_row(obj)
        if row is None:
            raise InputError("this is not a Microsoft Defender alert.")
        return _normalize_alert_info(obj, row)


NORMALIZER = DefenderNormalizer()
