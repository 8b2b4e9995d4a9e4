"""OCSF Detection Finding events (``class_uid`` 2004, schema 1.1 and later).

Entities come from ``device``, ``actor``, ``evidences``, ``resources`` and the
typed ``observables``; ATT&CK ids from ``finding_info.attacks`` (and the older
top-level ``attacks``).
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
    texts,
)
from affidavit.intake._time import parse_timestamp
from affidavit.intake.model import Alert, EntityKind, Severity

__all__ = ["NORMALIZER", "OcsfDetectionFindingNormalizer"]

DETECTION_FINDING = 2004
# severity_id: 0 Unknown, 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal, 99 Other.
_SEVERITY_IDS = {
    1: Severity.INFORMATIONAL,
    2: Severity.LOW,
    3: Severity.MEDIUM,
    4: Severity.HIGH,
    5: Severity.CRITICAL,
    6: Severity.CRITICAL,
}
# Observable type_id -> entity kind (OCSF dictionary types).
_OBSERVABLE_KINDS = {
    1: EntityKind.HOST,  # Hostname
    2: EntityKind.IP,  # IP Address
    4: EntityKind.USER,  # User Name
    5: EntityKind.EMAIL,  # Email Address
    6: EntityKind.URL,  # URL String
    8: EntityKind.FILE,  # Hash
    9: EntityKind.PROCESS,  # Process Name
    10: EntityKind.CLOUD_RESOURCE,  # Resource UID
    13: EntityKind.PROCESS,  # Command Line
}


# fingerprint.algorithm_id: 1 MD5, 2 SHA-1, 3 SHA-256, 4 SHA-512. One entity per
# file, by the hash EDRs block on first.
_HASH_PREFERENCE = {3: 0, 4: 1, 2: 2, 1: 3}


def _add_hashes(bag: EntityBag, file: object, role: str) -> None:
    def preference(fingerprint: Mapping[str, Any]) -> int:
        algorithm = number(fingerprint, "algorithm_id")
        return _HASH_PREFERENCE.get(algorithm, 4) if isinstance(algorithm, int) else 4

    for fingerprint in sorted(mappings(file, "hashes"), key=preference):
        if text(fingerprint, "value") is not None:
            bag.add(EntityKind.FILE, text(fingerprint, "value"), role)
            return


def _add_user(bag: EntityBag, user: object, role: str) -> None:
    name = text(user, "email_addr") or text(user, "name") or text(user, "uid")
    bag.add_user(name, text(user, "domain"), role)


def _add_process(bag: EntityBag, process: object, role: str) -> None:
    if not isinstance(process, Mapping):
        return
    command = text(process, "cmd_line") or text(process, "file", "path") or text(process, "name")
    bag.add(EntityKind.PROCESS, command, role)
    _add_hashes(bag, process.get("file"), "image" if role == "actor" else f"{role}_image")
    _add_user(bag, process.get("user"), "actor")
    if role == "actor":
        _add_process(bag, process.get("parent_process"), "parent")


def _add_endpoint(bag: EntityBag, endpoint: object, role: str) -> None:
    bag.add(EntityKind.IP, text(endpoint, "ip"), role)
    bag.add(EntityKind.HOST, text(endpoint, "hostname"), role)
    bag.add(EntityKind.DOMAIN, text(endpoint, "domain"), role)


def _add_device(bag: EntityBag, device: object) -> None:
    bag.add(EntityKind.HOST, text(device, "hostname") or text(device, "name"), "impacted")
    bag.add(EntityKind.IP, text(device, "ip"), "local")
    bag.add(EntityKind.CLOUD_RESOURCE, text(device, "instance_uid"), "impacted")


def _add_evidence(bag: EntityBag, evidence: Mapping[str, Any]) -> None:
    _add_device(bag, evidence.get("device"))
    _add_process(bag, get(evidence, "actor", "process"), "actor")
    _add_user(bag, get(evidence, "actor", "user"), "actor")
    _add_process(bag, evidence.get("process"), "actor")
    _add_hashes(bag, evidence.get("file"), "artifact")
    _add_user(bag, evidence.get("user"), "target")
    _add_endpoint(bag, evidence.get("src_endpoint"), "source")
    _add_endpoint(bag, evidence.get("dst_endpoint"), "destination")
    bag.add(EntityKind.URL, text(evidence, "url", "url_string"), "remote")
    bag.add(EntityKind.DOMAIN, text(evidence, "query", "hostname"), "queried")
    bag.add(EntityKind.EMAIL, text(evidence, "email", "from"), "source")
    bag.add_all(EntityKind.EMAIL, texts(evidence, "email", "to"), "target")
    for resource in mappings(evidence, "resources"):
        bag.add(EntityKind.CLOUD_RESOURCE, text(resource, "uid"), "related")


def _entities(event: Mapping[str, Any]) -> EntityBag:
    bag = EntityBag()
    _add_device(bag, event.get("device"))
    _add_process(bag, get(event, "actor", "process"), "actor")
    _add_user(bag, get(event, "actor", "user"), "actor")
    for evidence in mappings(event, "evidences"):
        _add_evidence(bag, evidence)
    for resource in mappings(event, "resources"):
        bag.add(EntityKind.CLOUD_RESOURCE, text(resource, "uid"), "impacted")
    for observable in mappings(event, "observables"):
        type_id = number(observable, "type_id")
        kind = _OBSERVABLE_KINDS.get(type_id) if isinstance(type_id, int) else None
        if kind is not None:
            bag.add(kind, text(observable, "value"))
    return bag


def _techniques(event: Mapping[str, Any]) -> tuple[str, ...]:
    attacks = mappings(event, "finding_info", "attacks") + mappings(event, "attacks")
    found: list[str] = []
    for attack in attacks:
        found.extend(texts(attack, "technique", "uid") + texts(attack, "sub_technique", "uid"))
    return tuple(techniques_in(found))


def _product(event: Mapping[str, Any]) -> str | None:
    vendor = text(event, "metadata", "product", "vendor_name")
    name = text(event, "metadata", "product", "name")
    if vendor and name and (name.lower() + " ").startswith(vendor.lower() + " "):
        return name  # "Prowler" by "Prowler", not "Prowler Prowler"
    return " ".join(part for part in (vendor, name) if part) or None


class OcsfDetectionFindingNormalizer:
    name = "ocsf_detection_finding"

    def detect(self, obj: Mapping[str, Any]) -> bool:
        class_uid = obj.get("class_uid")
        return (
            isinstance(class_uid, int)
            and not isinstance(class_uid, bool)
            and (class_uid == DETECTION_FINDING)
        )

    def normalize(self, obj: Mapping[str, Any]) -> Alert:
        if not self.detect(obj):
            raise InputError("this is not an OCSF Detection Finding (class_uid 2004).")
        info = mapping(obj, "finding_info")
        if info is None:
            raise InputError("an OCSF Detection Finding needs a finding_info object.")
        finding_id = ident(info, "uid") or ident(obj, "metadata", "uid")
        title = text(info, "title") or text(obj, "message")
        created = parse_timestamp(info.get("created_time")) or parse_timestamp(obj.get("time"))
        if finding_id is None or title is None or created is None:
            raise InputError("an OCSF Detection Finding needs finding_info.uid, a title and time.")
        severity_id = number(obj, "severity_id")
        types = texts(info, "types")
        return Alert(
            vendor=self.name,
            product=_product(obj),
            vendor_alert_id=finding_id,
            title=title,
            description=text(info, "desc") or text(obj, "message") or "",
            severity=_SEVERITY_IDS.get(severity_id, Severity.MEDIUM)
            if isinstance(severity_id, int)
            else Severity.MEDIUM,
            severity_raw=text(obj, "severity") or severity_id,
            created=created,
            category=types[0] if types else text(info, "analytic", "name"),
            techniques=_techniques(obj),
            entities=_entities(obj).entities(),
            raw=obj,
        )


NORMALIZER = OcsfDetectionFindingNormalizer()
