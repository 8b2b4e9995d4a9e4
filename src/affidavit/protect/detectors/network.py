"""Internal network identifiers: private IPv4/IPv6 addresses, internal host names, MACs.

Which ranges and domains are internal comes from the :class:`ScanConfig`, so these
patterns are built per configuration.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from affidavit.protect.config import ScanConfig
from affidavit.protect.detector import Detector, Kind, Pattern
from affidavit.protect.detectors._build import SEP, token
from affidavit.protect.finding import DataClass
from affidavit.protect.validators import ipv6_in

__all__ = ["NETWORK"]

_I = DataClass.INTERNAL_IDENTIFIER
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"


def _octet_choices(values: Iterable[int]) -> str:
    """An alternation of exact octet values, longest first (so `10` never stops at `1`)."""
    texts = sorted((str(v) for v in values), key=lambda t: (-len(t), t))
    return texts[0] if len(texts) == 1 else f"(?:{'|'.join(texts)})"


def _network_regex(net: ipaddress.IPv4Network) -> str:
    """Dotted quads inside ``net`` exactly: whole prefix octets are literals, the octet the
    prefix ends in lists its allowed values, the rest are any octet."""
    octets = net.network_address.packed
    full, bits = divmod(net.prefixlen, 8)
    parts = [str(o) for o in octets[:full]]
    if full < 4:
        if bits:
            base = octets[full]
            parts.append(_octet_choices(range(base, base + (1 << (8 - bits)))))
        else:
            parts.append(_OCTET)
        parts += [_OCTET] * (3 - full)
    return r"\.".join(parts)


def _ipv4(config: ScanConfig) -> Pattern | None:
    networks = config.ipv4_networks()
    if not networks:
        return None
    # The ranges are in the regex itself, so public addresses (most of a SOC log) never
    # reach Python. A dotted quad cannot start inside another (look-behind), so not
    # matching the public ones changes no other match.
    body = "|".join(_network_regex(net) for net in networks)
    firsts = {net.network_address.packed[0] + i for net in networks
              for i in range(1 << max(0, 8 - net.prefixlen))}  # fmt: skip
    # One fixed-width anchor per length of the first three octets: hyperscan then
    # reports where each starts without start-of-match tracking, which makes every hit
    # (one per internal address, the commonest value in a SOC log) cheaper to report.
    anchors = tuple(
        rf"\b{_octet_choices(v for v in firsts if len(str(v)) == first)}"
        rf"\.[0-9]{{{second}}}\.[0-9]{{{third}}}\.[0-9]"
        for first in sorted({len(str(v)) for v in firsts})
        for second in (1, 2, 3)
        for third in (1, 2, 3)
    )
    return Pattern(
        kind="ipv4_internal",
        regex=rf"(?<![A-Za-z0-9_.])(?:{body})(?![0-9]|\.[0-9])",
        anchor=anchors,
    )


def _ipv6_leads(networks: Iterable[ipaddress.IPv6Network]) -> list[str] | None:
    """The first two hex digits internal addresses can start with, or None when some
    range starts below 0x10 (its first group may be written with fewer than 4 digits)."""
    leads: set[int] = set()
    for net in networks:
        bits = min(net.prefixlen, 8)
        top = int(net.network_address) >> 120
        leads.update(b for b in range(256) if b >> (8 - bits) == top >> (8 - bits))
    if not leads or min(leads) < 0x10:
        return None
    return [f"{b:02x}" for b in sorted(leads)]


def _ipv6(config: ScanConfig) -> Pattern | None:
    networks = config.ipv6_networks()
    if not networks:
        return None
    leads = _ipv6_leads(networks)
    groups = r"(?::[0-9A-Fa-f]{0,4}){2,7}"
    if leads is None:
        head, anchor = r"(?:[0-9A-Fa-f]{1,4}|(?=::))", r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:"
    else:
        head = f"(?:{'|'.join(leads)})[0-9A-Fa-f]{{2}}"
        anchor = f"{head}:"
    return Pattern(
        kind="ipv6_internal",
        regex=rf"(?<![0-9A-Fa-f:]){head}{groups}(?![0-9A-Za-z:]|\.[0-9])",
        anchor=anchor,
        ignore_case=True,
        validator=ipv6_in(networks),
    )


_NOT_HOSTS = frozenset({"localhost", "unknown", "none", "null", "n/a", "na", "-"})


_LETTER = re.compile("[A-Za-z]")


def _host_name(value: str) -> bool:
    return value.lower() not in _NOT_HOSTS and _LETTER.search(value) is not None


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# Fields naming a machine of the estate (the source of an event, the device reporting
# it): their value is a host name whatever its domain. See fields.HOSTNAME_FIELDS.
_HOST_KEYS = "|".join(
    (
        r"computer(?:[_-]?(?:dns[_-]?)?name)?",
        r"(?:dns[_-]?)?host[_.-]?names?",
        r"device[_-]?(?:dns[_-]?|host[_-]?)?name",
        r"machine[_-]?(?:dns[_-]?)?name",
        r"workstation(?:[_-]?name)?",
        r"netbios[_-]?name",
        r"fqdn",
        r"dvchost|shost",
        r"(?:src|source|client|agent|observer|local)[_.-]?host(?:[_-]?name)?",
        r"endpoint[_-]?name",
        r"(?:host|device|observer|agent)\.(?:host)?name",
    )
)
# Fields naming the other end (a destination, a remote peer): often a public site, so
# only a bare (NetBIOS-style) name there is taken; a dotted one is internal only under
# an internal domain (the by-value rule). See fields.PEER_HOST_FIELDS.
_PEER_KEYS = r"dhost|(?:dst|dest|destination|remote|target)[_.-]?host(?:[_-]?name)?"


def _hostnames(config: ScanConfig) -> tuple[Pattern, ...]:
    patterns = []
    if config.internal_domains:
        suffixes = "|".join(
            re.escape(d) for d in sorted(config.internal_domains, key=lambda d: (-len(d), d))
        )
        patterns.append(
            Pattern(
                kind="hostname_internal",
                regex=(
                    r"(?<![A-Za-z0-9.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                    rf"(?i:{suffixes})(?![A-Za-z0-9_-]|\.[A-Za-z0-9-])"
                ),
                # One fixed-width anchor per suffix; the labels before it are the lookback.
                anchor=tuple(rf"\.(?i:{re.escape(d)})\b" for d in config.internal_domains),
                lookback="A-Za-z0-9.-",
            )
        )
    # By field: whatever a host field holds (a NetBIOS name or an FQDN, under any domain)
    # names a machine of the estate; the same list as fields.HOSTNAME_FIELDS.
    patterns.append(
        Pattern(
            kind="hostname_internal",
            regex=(
                rf"(?<![A-Za-z0-9])(?i:{_HOST_KEYS}){SEP}"
                rf"(?P<value>{_LABEL}(?:\.{_LABEL})*)(?![A-Za-z0-9_$-]|\.[A-Za-z0-9])"
            ),
            anchor=f"(?i:{_HOST_KEYS}){SEP}[A-Za-z0-9]",
            validator=_host_name,
        )
    )
    patterns.append(
        Pattern(
            kind="hostname_internal",
            regex=(
                rf"(?<![A-Za-z0-9])(?i:{_PEER_KEYS}){SEP}"
                rf"(?P<value>{_LABEL})(?![A-Za-z0-9_.$-])"
            ),
            anchor=f"(?i:{_PEER_KEYS}){SEP}[A-Za-z0-9]",
            validator=_host_name,
        )
    )
    return tuple(patterns)


def _mac(value: str) -> bool:
    """All-zero and broadcast addresses name no device."""
    digits = re.sub(r"[^0-9A-Fa-f]", "", value).lower()
    return digits not in ("000000000000", "ffffffffffff")


def _network_patterns(config: ScanConfig) -> tuple[Pattern, ...]:
    addresses = (p for p in (_ipv4(config), _ipv6(config)) if p is not None)
    return (*addresses, *_hostnames(config))


_HEX2 = "[0-9A-Fa-f]{2}"
NETWORK = Detector(
    name="network",
    kinds=(
        Kind("ipv4_internal", _I, 25),
        Kind("ipv6_internal", _I, 25),
        Kind("mac_address", _I, 25),
        Kind("hostname_internal", _I, 20),
    ),
    patterns=(
        Pattern(
            kind="mac_address",
            regex=(
                rf"(?<![0-9A-Fa-f:-]){_HEX2}(?P<sep>[:-])(?:{_HEX2}(?P=sep)){{4}}{_HEX2}"
                r"(?![0-9A-Fa-f:-]|\.[0-9A-Fa-f])"
            ),
            anchor="[:-]".join([_HEX2] * 6),
            validator=_mac,
        ),
        token(
            "mac_address",
            r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}",
            edge="0-9A-Za-z.",
            validator=_mac,
            templates=False,
        ),
    ),
    configure=_network_patterns,
)
