"""Elastic Security detection alerts (``kibana.alert.*`` over ECS fields).

An alert document is read as Kibana stores it (``.alerts-security.alerts-*``):
field names flattened (``"kibana.alert.rule.name": ...``), nested
(``{"kibana": {"alert": {"rule": ...}}}``) or both at once, bare or as a search
hit (``_index``, ``_id``, ``_source``); a whole search response is split by the
reader. ECS fields of the source event (``host``, ``user``, ``process``,
``source``, ``destination``, ``file``, ``url``, ``dns``, ``email``) give the
entities; ``kibana.alert.rule.threat`` the ATT&CK tactic and techniques.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._fields import EntityBag, mappings, techniques_in, text
from affidavit.intake._time import parse_timestamp
from affidavit.intake.model import Alert, EntityKind, Severity

__all__ = ["NORMALIZER", "ElasticSecurityNormalizer", "ecs"]

_SEVERITY = {
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}
# Elastic's documented risk score ranges per severity.
_RISK_BANDS = ((74, Severity.CRITICAL), (48, Severity.HIGH), (22, Severity.MEDIUM))


def ecs(doc: object, dotted: str) -> Any:
    """The value of an ECS field however the document spells its path:
    ``a.b.c`` as one flattened key, nested objects, or any mix of the two."""
    return _lookup(doc, dotted.split("."))


def _lookup(doc: object, parts: list[str]) -> Any:
    if not isinstance(doc, Mapping):
        return None
    for cut in range(len(parts), 0, -1):  # the longest flattened key first
        key = ".".join(parts[:cut])
        if key in doc:
            value = doc[key]
            if cut == len(parts):
                return value
            found = _lookup(value, parts[cut:])
            if found is not None:
                return found
    return None


def _text(doc: object, dotted: str) -> str | None:
    value = ecs(doc, dotted)
    if isinstance(value, list):  # ECS keyword fields may hold one value as a list
        value = next((item for item in value if isinstance(item, str)), None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _texts(doc: object, dotted: str) -> list[str]:
    value = ecs(doc, dotted)
    values = value if isinstance(value, list) else [value]
    return [item.strip() for item in values if isinstance(item, str) and item.strip()]


def _document(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    source = obj.get("_source") if ("_id" in obj or "_index" in obj) else None
    return source if isinstance(source, Mapping) else obj


def _is_alert(doc: Mapping[str, Any]) -> bool:
    return isinstance(ecs(doc, "kibana.alert.rule.name"), str) and (
        ecs(doc, "kibana.alert.uuid") is not None or ecs(doc, "@timestamp") is not None
    )


def _add_hash(bag: EntityBag, doc: object, prefix: str, role: str) -> None:
    for algorithm in ("sha256", "sha1", "md5"):
        digest = _text(doc, f"{prefix}.hash.{algorithm}")
        if digest is not None:
            bag.add(EntityKind.FILE, digest, role)
            return


def _entities(doc: Mapping[str, Any]) -> EntityBag:
    bag = EntityBag()
    bag.add(EntityKind.HOST, _text(doc, "host.hostname") or _text(doc, "host.name"), "impacted")
    bag.add_all(EntityKind.IP, _texts(doc, "host.ip"), "local")
    email = _text(doc, "user.email")
    bag.add_user(_text(doc, "user.name") or email, _text(doc, "user.domain"), "actor")
    bag.add(EntityKind.USER, _text(doc, "user.id"), "actor")
    bag.add_user(_text(doc, "user.target.name"), _text(doc, "user.target.domain"), "target")
    for side, role in (("source", "source"), ("destination", "destination")):
        bag.add(EntityKind.IP, _text(doc, f"{side}.ip"), role)
        bag.add(EntityKind.DOMAIN, _text(doc, f"{side}.domain"), role)
    command = (
        _text(doc, "process.command_line")
        or _text(doc, "process.executable")
        or _text(doc, "process.name")
    )
    bag.add(EntityKind.PROCESS, command, "actor")
    _add_hash(bag, doc, "process", "image")
    parent = _text(doc, "process.parent.command_line") or _text(doc, "process.parent.executable")
    bag.add(EntityKind.PROCESS, parent, "parent")
    _add_hash(bag, doc, "process.parent", "parent_image")
    _add_hash(bag, doc, "file", "artifact")
    bag.add(EntityKind.URL, _text(doc, "url.full") or _text(doc, "url.original"), "remote")
    bag.add(EntityKind.DOMAIN, _text(doc, "dns.question.name"), "queried")
    bag.add_all(EntityKind.EMAIL, _texts(doc, "email.from.address"), "sender")
    bag.add_all(EntityKind.EMAIL, _texts(doc, "email.to.address"), "recipient")
    bag.add(EntityKind.CLOUD_RESOURCE, _text(doc, "cloud.instance.id"), "impacted")
    return bag


def _attack(doc: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    """The first ATT&CK tactic name and every technique and sub-technique id."""
    threats = ecs(doc, "kibana.alert.rule.threat")
    tactic: str | None = None
    techniques: list[str] = []
    for threat in mappings(threats):
        tactic = tactic or text(threat, "tactic", "name")
        for technique in mappings(threat, "technique"):
            techniques.extend(t for t in [text(technique, "id")] if t)
            for sub in mappings(technique, "subtechnique"):
                techniques.extend(t for t in [text(sub, "id")] if t)
    return tactic, techniques


def _severity(doc: Mapping[str, Any]) -> tuple[Severity, str | int | float | None]:
    label = _text(doc, "kibana.alert.severity")
    if label is not None and label.lower() in _SEVERITY:
        return _SEVERITY[label.lower()], label
    score = ecs(doc, "kibana.alert.risk_score")
    if isinstance(score, int | float) and not isinstance(score, bool):
        for floor, level in _RISK_BANDS:
            if score >= floor:
                return level, score
        return Severity.LOW, score
    return Severity.MEDIUM, label


class ElasticSecurityNormalizer:
    name = "elastic_security"

    def detect(self, obj: Mapping[str, Any]) -> bool:
        return _is_alert(_document(obj))

    def normalize(self, obj: Mapping[str, Any]) -> Alert:
        doc = _document(obj)
        if not _is_alert(doc):
            raise InputError("this is not an Elastic Security alert.")
        alert_id = _text(doc, "kibana.alert.uuid") or text(obj, "_id")
        created = parse_timestamp(ecs(doc, "@timestamp")) or parse_timestamp(
            ecs(doc, "kibana.alert.original_time")
        )
        title = _text(doc, "kibana.alert.rule.name")
        if alert_id is None or title is None or created is None:
            raise InputError(
                "an Elastic Security alert needs kibana.alert.uuid, a rule and a time."
            )
        severity, severity_raw = _severity(doc)
        tactic, techniques = _attack(doc)
        description = _text(doc, "kibana.alert.reason") or _text(
            doc, "kibana.alert.rule.description"
        )
        return Alert(
            vendor=self.name,
            product="Elastic Security",
            vendor_alert_id=alert_id,
            title=title,
            description=description or "",
            severity=severity,
            severity_raw=severity_raw,
            created=created,
            category=tactic,
            techniques=tuple(techniques_in(techniques)),
            entities=_entities(doc).entities(),
            raw=obj,
        )


NORMALIZER = ElasticSecurityNormalizer()
