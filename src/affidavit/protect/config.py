"""Scanner settings: what counts as internal, how random a secret must look, input limits."""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass

from affidavit.errors import ConfigError

__all__ = [
    "DEFAULT_INTERNAL_DOMAINS",
    "DEFAULT_INTERNAL_IPV4_NETWORKS",
    "DEFAULT_INTERNAL_IPV6_NETWORKS",
    "MAX_INPUT_CHARS",
    "ScanConfig",
]

# RFC 1918 private ranges and RFC 6598 carrier-grade NAT. Loopback and link-local are
# left out by default: they name no particular machine, so they identify nothing.
DEFAULT_INTERNAL_IPV4_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
# RFC 4193 unique local addresses.
DEFAULT_INTERNAL_IPV6_NETWORKS = ("fc00::/7",)
# Suffixes that are never public DNS names (RFC 6762 .local, RFC 8375 home.arpa, ICANN's
# .internal) plus common private conventions, Active Directory's `.ad` among them (also
# Andorra's country domain: drop it from ScanConfig.internal_domains where that matters).
# Matched case-insensitively.
DEFAULT_INTERNAL_DOMAINS = (
    "local",
    "internal",
    "lan",
    "corp",
    "ad",
    "intranet",
    "home.arpa",
    "corp.example",
)
# 64 MiB of characters: far above any single alert or prompt, low enough that a scan
# (and the copies it makes) stays within a few hundred MiB of memory.
MAX_INPUT_CHARS = 64 * 1024 * 1024

_DOMAIN = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)


@dataclass(frozen=True)
class ScanConfig:
    """Settings for a :class:`~affidavit.protect.Scanner`; validated on construction."""

    internal_ipv4_networks: tuple[str, ...] = DEFAULT_INTERNAL_IPV4_NETWORKS
    internal_ipv6_networks: tuple[str, ...] = DEFAULT_INTERNAL_IPV6_NETWORKS
    internal_domains: tuple[str, ...] = DEFAULT_INTERNAL_DOMAINS
    # Shannon entropy (bits per character) a value assigned to a secret-like name needs
    # before it is reported as a secret: random tokens score 4+, words and flags below 3.
    min_secret_entropy: float = 3.0
    max_input_chars: int = MAX_INPUT_CHARS
    # Also scan views of the text with evasions undone (zero-width and full-width
    # characters, JSON and URL escapes, base64): see docs/data-protection.md.
    undo_evasions: bool = True

    def __post_init__(self) -> None:
        for name in ("internal_ipv4_networks", "internal_ipv6_networks", "internal_domains"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"ScanConfig.{name} must be a sequence of strings.")
            object.__setattr__(self, name, tuple(value))
        for net in self.internal_ipv4_networks:
            _network(net, 4)
        for net in self.internal_ipv6_networks:
            _network(net, 6)
        domains = tuple(d.lower().strip(".") for d in self.internal_domains)
        for domain in domains:
            if _DOMAIN.fullmatch(domain) is None:
                raise ConfigError(f"Internal domain {domain!r} is not a valid DNS suffix.")
        object.__setattr__(self, "internal_domains", domains)
        entropy = self.min_secret_entropy
        if not isinstance(entropy, int | float) or math.isnan(entropy) or not 0 <= entropy <= 8:
            raise ConfigError("ScanConfig.min_secret_entropy must be a number from 0 to 8.")
        limit = self.max_input_chars
        if type(limit) is not int or limit < 1:
            raise ConfigError("ScanConfig.max_input_chars must be a positive integer.")
        if type(self.undo_evasions) is not bool:
            raise ConfigError("ScanConfig.undo_evasions must be True or False.")

    def ipv4_networks(self) -> tuple[ipaddress.IPv4Network, ...]:
        return tuple(ipaddress.IPv4Network(n) for n in self.internal_ipv4_networks)

    def ipv6_networks(self) -> tuple[ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.IPv6Network(n) for n in self.internal_ipv6_networks)


def _network(text: str, version: int) -> None:
    try:
        net = ipaddress.ip_network(text)
    except ValueError:
        raise ConfigError(f"Internal network {text!r} is not a valid CIDR range.") from None
    if net.version != version:
        raise ConfigError(f"Internal network {text!r} is not an IPv{version} range.")
