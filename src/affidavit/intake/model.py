"""The one alert model every vendor format is normalised into.

``Entity`` and ``Alert`` are frozen dataclasses that validate (and canonicalise)
their values on construction, so an instance that exists is always well formed:
an invalid value raises ``InputError`` instead of slipping into a case.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from affidavit.errors import InputError
from affidavit.intake._jsonvalue import copy_json

__all__ = ["Alert", "Entity", "EntityKind", "Severity", "format_timestamp"]

_MAX_TEXT = 64 * 1024
_MAX_ENTITY_VALUE = 32 * 1024
_HASH_LENGTHS = frozenset({32, 40, 64, 128})  # MD5, SHA-1, SHA-256, SHA-512
_HEX = re.compile(r"[0-9a-f]+")
_ROLE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_TECHNIQUE = re.compile(r"T\d{4}(?:\.\d{3})?")
_DNS_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Severity(StrEnum):
    """Normalised severity, lowest first."""

    INFORMATIONAL = "informational"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for informational up to 4 for critical, for ordering and thresholds."""
        return list(Severity).index(self)


class EntityKind(StrEnum):
    HOST = "host"
    USER = "user"
    IP = "ip"
    DOMAIN = "domain"
    URL = "url"
    FILE = "file"  # value is the file's hash (lowercase hex)
    PROCESS = "process"  # value is the command line, else the image path or name
    CLOUD_RESOURCE = "cloud_resource"
    EMAIL = "email"


def _dns_name(value: str) -> str | None:
    name = value.strip().rstrip(".").lower()
    if not name or len(name) > 253:
        return None
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    labels = name.split(".")
    return name if all(_DNS_LABEL.fullmatch(label) for label in labels) else None


def _host(value: str) -> str | None:
    # Hostnames are case-insensitive; lowering them lets two vendors' spellings meet.
    return _dns_name(value)


def _domain(value: str) -> str | None:
    name = _dns_name(value)
    return name if name is not None and "." in name else None


def _ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _url(value: str) -> str | None:
    text = value.strip()
    if _CONTROL.search(text) or " " in text:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme and parts.netloc else None


def _file_hash(value: str) -> str | None:
    digest = value.strip().lower()
    if len(digest) not in _HASH_LENGTHS or not _HEX.fullmatch(digest):
        return None
    # Vendors (CrowdStrike among them) write all-zero hashes when the hash is unknown.
    return None if digest.strip("0") == "" else digest


def _email(value: str) -> str | None:
    address = value.strip().lower()
    return address if _EMAIL.fullmatch(address) else None


def _free_text(value: str) -> str | None:
    text = value.strip()
    return text if text and "\x00" not in text else None


def _identifier(value: str) -> str | None:
    text = value.strip()
    return text if text and not _CONTROL.search(text) else None


_CANONICAL = {
    EntityKind.HOST: _host,
    EntityKind.USER: _identifier,
    EntityKind.IP: _ip,
    EntityKind.DOMAIN: _domain,
    EntityKind.URL: _url,
    EntityKind.FILE: _file_hash,
    EntityKind.PROCESS: _free_text,
    EntityKind.CLOUD_RESOURCE: _identifier,
    EntityKind.EMAIL: _email,
}


@dataclass(frozen=True, slots=True)
class Entity:
    """Something an alert is about: a host, a user, an IP address, a file hash...

    ``value`` is stored in canonical form (hosts, domains, hashes and e-mail
    addresses lower-cased, IP addresses compressed), so equal things compare equal.
    ``role`` says how the entity takes part (``source``, ``target``, ``parent``...).
    """

    kind: EntityKind
    value: str
    role: str | None = None

    def __post_init__(self) -> None:
        try:
            kind = EntityKind(self.kind)
        except ValueError:
            raise InputError(f"unknown entity kind {self.kind!r}.") from None
        if not isinstance(self.value, str) or len(self.value) > _MAX_ENTITY_VALUE:
            raise InputError(f"a {kind.value} entity needs a string value of at most 32 KiB.")
        canonical = _CANONICAL[kind](self.value)
        if canonical is None:
            # The value is not echoed: it may be a command line holding a secret.
            raise InputError(f"that is not a valid {kind.value} entity value.")
        if self.role is not None and (
            not isinstance(self.role, str) or not _ROLE.fullmatch(self.role)
        ):
            raise InputError(f"entity role {self.role!r} must be a short lower-case identifier.")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "value", canonical)

    def to_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind.value, "value": self.value, "role": self.role}


def _dedupe(entities: Iterable[Entity]) -> tuple[Entity, ...]:
    """Keep the first of each (kind, value); a later occurrence may supply a missing role."""
    merged: dict[tuple[EntityKind, str], Entity] = {}
    for entity in entities:
        if not isinstance(entity, Entity):
            raise InputError("alert entities must be Entity objects.")
        key = (entity.kind, entity.value)
        seen = merged.get(key)
        if seen is None:
            merged[key] = entity
        elif seen.role is None and entity.role is not None:
            merged[key] = Entity(seen.kind, seen.value, entity.role)
    return tuple(merged.values())


def format_timestamp(moment: datetime) -> str:
    """UTC ISO 8601 with a fixed microsecond field, so strings sort like the times."""
    utc = moment.astimezone(UTC)
    return f"{utc.replace(tzinfo=None).isoformat(timespec='microseconds')}Z"


def _required_text(name: str, value: object, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"an alert needs a non-empty {name}.")
    text = value.strip()
    if len(text) > limit:
        raise InputError(f"the alert {name} is longer than {limit} characters.")
    return text


def _optional_text(name: str, value: object, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"the alert {name} must be text.")
    text = value.strip()
    if len(text) > limit:
        raise InputError(f"the alert {name} is longer than {limit} characters.")
    return text or None


class _Evidence(dict[str, Any]):
    """A raw alert an ``Alert`` has already validated and copied: another Alert
    made from that one (``dataclasses.replace``) need not copy it again."""

    __slots__ = ()


def _unmapped(paths: object) -> tuple[str, ...] | None:
    if paths is None:
        return None
    if not isinstance(paths, tuple | list) or not all(
        isinstance(path, str) and 0 < len(path) <= 1024 for path in paths
    ):
        raise InputError("unmapped fields must be a list of JSON paths.")
    return tuple(paths)


@dataclass(frozen=True, slots=True)
class Alert:
    """One security alert, whatever product raised it.

    ``vendor`` is the name of the normaliser that read it; ``raw`` is a deep copy
    of the original JSON object, kept unchanged as evidence. ``unmapped`` lists
    the JSON paths of the raw alert's non-empty fields that the normaliser never
    read (``evidence[2].userAccount.userSid``), so a field the model does not
    carry is visible rather than silently lost; ``None`` when not computed (a
    normaliser called directly rather than through ``intake.normalize``).
    """

    vendor: str
    vendor_alert_id: str
    title: str
    severity: Severity
    created: datetime
    raw: Mapping[str, Any] = field(hash=False)
    description: str = ""
    severity_raw: str | int | float | None = None
    product: str | None = None
    category: str | None = None
    techniques: tuple[str, ...] = ()
    entities: tuple[Entity, ...] = field(default=())
    unmapped: tuple[str, ...] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "vendor", _required_text("vendor", self.vendor, 64))
        set_(self, "vendor_alert_id", _required_text("vendor alert id", self.vendor_alert_id, 1024))
        set_(self, "title", _required_text("title", self.title, 1024))
        set_(self, "description", _optional_text("description", self.description, _MAX_TEXT) or "")
        set_(self, "product", _optional_text("product", self.product, 256))
        set_(self, "category", _optional_text("category", self.category, 256))
        try:
            set_(self, "severity", Severity(self.severity))
        except ValueError:
            raise InputError(f"alert severity {self.severity!r} is not a known level.") from None
        raw_severity = self.severity_raw
        if raw_severity is not None and (
            isinstance(raw_severity, bool) or not isinstance(raw_severity, str | int | float)
        ):
            raise InputError("the vendor's raw severity must be text or a number.")
        if isinstance(raw_severity, float) and not math.isfinite(raw_severity):
            raise InputError("the vendor's raw severity must be a finite number.")
        if isinstance(raw_severity, str) and len(raw_severity) > 256:
            raise InputError("the vendor's raw severity is longer than 256 characters.")
        if not isinstance(self.created, datetime) or self.created.utcoffset() is None:
            raise InputError("the alert creation time must be a timezone-aware datetime.")
        try:
            set_(self, "created", self.created.astimezone(UTC))
        except OverflowError:
            raise InputError("the alert creation time is out of range.") from None
        techniques = tuple(self.techniques)
        for technique in techniques:
            if not isinstance(technique, str) or not _TECHNIQUE.fullmatch(technique):
                raise InputError(f"{technique!r} is not a MITRE ATT&CK technique id (T1234.001).")
        set_(self, "techniques", tuple(dict.fromkeys(techniques)))
        set_(self, "entities", _dedupe(self.entities))
        set_(self, "unmapped", _unmapped(self.unmapped))
        if not isinstance(self.raw, Mapping):
            raise InputError("the raw alert must be a JSON object.")
        if type(self.raw) is not _Evidence:
            set_(self, "raw", _Evidence(copy_json(self.raw, where="the raw alert")))

    def entities_of(self, kind: EntityKind) -> tuple[Entity, ...]:
        return tuple(entity for entity in self.entities if entity.kind is kind)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict; ``raw`` is a fresh copy so callers cannot alter the evidence."""
        return {
            "vendor": self.vendor,
            "product": self.product,
            "vendor_alert_id": self.vendor_alert_id,
            "title": self.title,
            "description": self.description,
            "severity": self.severity.value,
            "severity_raw": self.severity_raw,
            "created": format_timestamp(self.created),
            "category": self.category,
            "techniques": list(self.techniques),
            "entities": [entity.to_dict() for entity in self.entities],
            "unmapped": None if self.unmapped is None else list(self.unmapped),
            "raw": copy_json(self.raw, where="the raw alert"),
        }
