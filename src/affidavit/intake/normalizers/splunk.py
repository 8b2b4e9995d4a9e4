"""Splunk Enterprise Security notable events, as search results return them.

A notable is a row of the ``notable`` index (``` `notable` ``` macro, REST
``search/jobs`` results or ``export``): ``_time``, ``rule_name`` /
``rule_title``, ``urgency``, ``security_domain``, ``event_id`` and the CIM
fields the correlation search kept (``src``, ``dest``, ``user``,
``file_hash``...). Values are strings, or lists of strings for multivalue
fields. A results page (``results``) or an export line (``result``) is split by
the reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._fields import EntityBag, content_id, techniques_in, texts
from affidavit.intake._time import parse_timestamp
from affidavit.intake.model import Alert, EntityKind, Severity

__all__ = ["NORMALIZER", "SplunkNotableNormalizer"]

_LEVELS = {
    "informational": Severity.INFORMATIONAL,
    "info": Severity.INFORMATIONAL,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}
# (field, role): fields that hold an IP address or a host name.
_ADDRESSES = (
    ("src", "source"),
    ("src_ip", "source"),
    ("dest", "destination"),
    ("dest_ip", "destination"),
    ("dvc", "observer"),
)
_USERS = (("user", "actor"), ("src_user", "actor"), ("dest_user", "target"))


def _first(obj: Mapping[str, Any], key: str) -> str | None:
    values = texts(obj, key)
    return values[0] if values else None


def _entities(obj: Mapping[str, Any]) -> EntityBag:
    bag = EntityBag()
    for key, role in _ADDRESSES:
        for value in texts(obj, key):
            bag.add_address(value, role)
    bag.add_all(EntityKind.HOST, texts(obj, "orig_host"), "impacted")
    for key, role in _USERS:
        bag.add_all(EntityKind.USER, texts(obj, key), role)
    bag.add_all(EntityKind.FILE, texts(obj, "file_hash"), "artifact")
    bag.add_all(EntityKind.URL, texts(obj, "url"), "remote")
    bag.add_all(EntityKind.DOMAIN, texts(obj, "query"), "queried")
    bag.add_all(EntityKind.PROCESS, texts(obj, "process") or texts(obj, "process_name"), "actor")
    bag.add_all(EntityKind.PROCESS, texts(obj, "parent_process"), "parent")
    # The risk object ES scored: a system or a user.
    kind = (_first(obj, "risk_object_type") or "").lower()
    if kind == "system":
        for value in texts(obj, "risk_object"):
            bag.add_address(value, "impacted")
    elif kind == "user":
        bag.add_all(EntityKind.USER, texts(obj, "risk_object"), "impacted")
    return bag


def _is_notable(obj: Mapping[str, Any]) -> bool:
    if "_time" not in obj or not ("rule_name" in obj or "search_name" in obj):
        return False
    event_id = obj.get("event_id")
    return (
        "urgency" in obj
        or "security_domain" in obj
        or (isinstance(event_id, str) and "@@notable@@" in event_id)
    )


class SplunkNotableNormalizer:
    name = "splunk_es"

    def detect(self, obj: Mapping[str, Any]) -> bool:
        return _is_notable(obj)

    def normalize(self, obj: Mapping[str, Any]) -> Alert:
        if not _is_notable(obj):
            raise InputError("this is not a Splunk Enterprise Security notable event.")
        title = _first(obj, "rule_title") or _first(obj, "rule_name") or _first(obj, "search_name")
        created = parse_timestamp(_first(obj, "_time")) or parse_timestamp(_first(obj, "orig_time"))
        if title is None or created is None:
            raise InputError("a Splunk notable event needs a rule name and _time.")
        # Urgency is ES's triage level (severity weighed by asset or identity priority).
        level = _first(obj, "urgency") or _first(obj, "severity")
        techniques = techniques_in(
            texts(obj, "annotations.mitre_attack"),
            texts(obj, "annotations.mitre_attack.mitre_technique_id"),
        )
        return Alert(
            vendor=self.name,
            product="Splunk Enterprise Security",
            vendor_alert_id=_first(obj, "event_id") or content_id(obj),
            title=title,
            description=_first(obj, "rule_description") or _first(obj, "description") or "",
            severity=_LEVELS.get((level or "").lower(), Severity.MEDIUM),
            severity_raw=level,
            created=created,
            category=_first(obj, "security_domain"),
            techniques=tuple(techniques),
            entities=_entities(obj).entities(),
            raw=obj,
        )


NORMALIZER = SplunkNotableNormalizer()
