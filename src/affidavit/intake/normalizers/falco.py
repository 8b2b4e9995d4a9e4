"""Falco events as Falco's JSON output and Falcosidekick write them
(``rule``, ``priority``, ``output``, ``time``, ``output_fields``, ``tags``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._fields import (
    EntityBag,
    content_id,
    mapping,
    techniques_in,
    text,
    texts,
)
from affidavit.intake._time import parse_timestamp
from affidavit.intake.model import Alert, EntityKind, Severity

__all__ = ["NORMALIZER", "FalcoNormalizer"]

# Falco priorities are syslog levels.
_PRIORITY = {
    "emergency": Severity.CRITICAL,
    "alert": Severity.CRITICAL,
    "critical": Severity.CRITICAL,
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "notice": Severity.LOW,
    "informational": Severity.INFORMATIONAL,
    "info": Severity.INFORMATIONAL,
    "debug": Severity.INFORMATIONAL,
}
# Socket address fields: (field, role).
_ADDRESS_FIELDS = (
    ("fd.rip", "remote"),
    ("fd.lip", "local"),
    ("fd.cip", "source"),
    ("fd.sip", "destination"),
)


def _endpoint_ip(endpoint: str) -> str:
    """The address of ``ip:port`` (IPv6 as ``[ip]:port`` or bare)."""
    host, separator, port = endpoint.rpartition(":")
    if separator and port.isdigit() and host:
        return host.strip("[]")
    return endpoint


def _add_fd_name(bag: EntityBag, value: str | None) -> None:
    # fd.name is "client:port->server:port" for connections, or one "ip:port".
    if value is None:
        return
    if "->" in value:
        client, _, server = value.partition("->")
        bag.add(EntityKind.IP, _endpoint_ip(client), "source")
        bag.add(EntityKind.IP, _endpoint_ip(server), "destination")
    else:
        bag.add(EntityKind.IP, _endpoint_ip(value), "remote")


def _entities(obj: Mapping[str, Any], fields: Mapping[str, Any]) -> EntityBag:
    bag = EntityBag()
    bag.add(EntityKind.HOST, text(obj, "hostname"), "impacted")
    bag.add(EntityKind.USER, text(fields, "user.name"), "actor")
    bag.add(EntityKind.USER, text(fields, "ka.user.name"), "actor")
    command = (
        text(fields, "proc.cmdline") or text(fields, "proc.exepath") or text(fields, "proc.name")
    )
    bag.add(EntityKind.PROCESS, command, "actor")
    bag.add(
        EntityKind.PROCESS, text(fields, "proc.pcmdline") or text(fields, "proc.pname"), "parent"
    )
    _add_fd_name(bag, text(fields, "fd.name"))
    for field, role in _ADDRESS_FIELDS:
        bag.add(EntityKind.IP, text(fields, field), role)
    bag.add_all(EntityKind.IP, texts(fields, "ka.sourceips"), "source")
    repository, tag = (
        text(fields, "container.image.repository"),
        text(fields, "container.image.tag"),
    )
    image = f"{repository}:{tag}" if repository and tag else repository
    bag.add(EntityKind.CLOUD_RESOURCE, image, "container_image")
    namespace = text(fields, "k8s.ns.name")
    pod = text(fields, "k8s.pod.name")
    if namespace and pod:
        bag.add(EntityKind.CLOUD_RESOURCE, f"namespaces/{namespace}/pods/{pod}", "impacted")
    return bag


def _category(tags: list[str], source: str | None) -> str | None:
    for tag in tags:
        if tag.startswith("mitre_"):
            return tag.removeprefix("mitre_").replace("_", " ")
    return source


class FalcoNormalizer:
    name = "falco"

    def detect(self, obj: Mapping[str, Any]) -> bool:
        return all(isinstance(obj.get(key), str) for key in ("rule", "priority", "output"))

    def normalize(self, obj: Mapping[str, Any]) -> Alert:
        if not self.detect(obj):
            raise InputError("this is not a Falco event.")
        fields = mapping(obj, "output_fields") or {}
        title = text(obj, "rule")
        created = parse_timestamp(obj.get("time")) or parse_timestamp(fields.get("evt.time"))
        if title is None or created is None:
            raise InputError("a Falco event needs a rule and a time.")
        priority = text(obj, "priority")
        tags = texts(obj, "tags")
        return Alert(
            vendor=self.name,
            product="Falco",
            # Falco events carry no id (Falcosidekick adds a uuid); fall back to content.
            vendor_alert_id=text(obj, "uuid") or content_id(obj),
            title=title,
            description=text(obj, "output") or "",
            severity=_PRIORITY.get((priority or "").lower(), Severity.MEDIUM),
            severity_raw=priority,
            created=created,
            category=_category(tags, text(obj, "source")),
            techniques=tuple(techniques_in(tags)),
            entities=_entities(obj, fields).entities(),
            raw=obj,
        )


NORMALIZER = FalcoNormalizer()
