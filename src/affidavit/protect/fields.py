"""Fields whose value names a host of the monitored estate, by field name.

The rule (docs/data-protection.md, "Host names"): an internal host name is an internal
identifier, like an internal IP address. A name is internal by its *value* when it lies
under a configured internal domain (``ScanConfig.internal_domains``), and by its *field*
when the field says it names a host of the estate (Defender's ``computerDnsName``,
ECS ``host.name``, Windows ``ComputerName``...), whatever its domain: an estate's
machines are often named under the company's public domain.

The scanner applies the field rule inside text (``"computerDnsName": "..."`` in a log
line, see ``detectors/network.py``); :func:`~affidavit.protect.protect_json` applies it
to JSON values by their key, by their parent's key (``{"host": {"name": ...}}``) and to
entity objects that say they are a host (``{"kind": "host", "value": ...}``).
"""

from __future__ import annotations

import re

__all__ = [
    "HOSTNAME_FIELDS",
    "PEER_HOST_FIELDS",
    "entity_value_field",
    "host_entity",
    "hostname_field",
    "hostname_value",
    "peer_host_field",
]

# Field names, compared lower-cased with `_`, `-` and `.` removed.
HOSTNAME_FIELDS = frozenset(
    {
        "computername", "computerdnsname", "computer", "hostname", "hostnames", "host.name",
        "devicename", "devicednsname", "devicehostname", "machinename", "machinednsname",
        "workstationname", "workstation", "netbiosname", "fqdn", "dnshostname", "dvchost",
        "shost", "srchost", "sourcehost", "sourcehostname", "clienthost", "clienthostname",
        "agenthostname", "observerhostname", "localhost", "localhostname", "endpointname",
    }
)  # fmt: skip
# Fields naming the other end of a connection: often a public site, so only a bare
# (NetBIOS-style) name there counts; a dotted name is internal only by its domain.
PEER_HOST_FIELDS = frozenset(
    {
        "dhost", "dsthost", "desthost", "destinationhost", "destinationhostname",
        "remotehost", "remotehostname", "targethost", "targethostname",
    }
)  # fmt: skip
# Parents under which `name` (or `hostname`) is a host's name: ECS `host.name`,
# OCSF `device.name`, `agent.name`, `observer.hostname`.
_HOST_PARENTS = frozenset({"host", "device", "computer", "machine", "endpoint", "observer"})
# Entity objects (`{"kind": "host", "value": ...}`) and the members holding the name.
_ENTITY_TYPES = frozenset({"host", "hostname", "device", "computer", "machine", "endpoint"})
_ENTITY_TAGS = ("kind", "type", "entityType", "entity_type")
_ENTITY_VALUES = frozenset({"value", "name"})
_SEPARATORS = str.maketrans("", "", "_-. ")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
_NOT_HOSTS = frozenset({"localhost", "unknown", "none", "null", "n/a", "na", "-", "localhost."})


def _normal(name: str) -> str:
    return name.lower().translate(_SEPARATORS)


_FIELDS = frozenset(_normal(name) for name in HOSTNAME_FIELDS)
_PEERS = frozenset(_normal(name) for name in PEER_HOST_FIELDS)


def peer_host_field(key: str) -> bool:
    """True when a member named ``key`` names the other end of a connection."""
    return _normal(key) in _PEERS


def hostname_field(key: str, parent: str | None = None) -> bool:
    """True when a member named ``key`` (inside a member named ``parent``) holds a host
    name of the estate, whatever its domain."""
    normal = _normal(key)
    if normal in _FIELDS:
        return True
    return (
        normal in ("name", "hostname", "dnsname")
        and parent is not None
        and (_normal(parent) in _HOST_PARENTS)
    )


def host_entity(value: dict[str, object]) -> bool:
    """True for an entity object that says it is a host: its ``value``/``name`` is one."""
    for tag in _ENTITY_TAGS:
        kind = value.get(tag)
        if isinstance(kind, str) and kind.lower() in _ENTITY_TYPES:
            return True
    return False


def entity_value_field(key: str) -> bool:
    return key in _ENTITY_VALUES


def hostname_value(text: str, *, bare: bool = False) -> tuple[int, int] | None:
    """The span of the host name a host field holds (surrounding blanks aside), or None
    when it holds no name: empty, `-`, `localhost`, or an IP address (those are found by
    their own detectors). With ``bare`` only a name without dots counts (peer fields)."""
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    name = text[start:end]
    if (
        not name
        or name.lower() in _NOT_HOSTS
        or _HOST.fullmatch(name) is None
        or not any(c.isalpha() for c in name)
        or (bare and "." in name)
    ):
        return None
    return start, end
