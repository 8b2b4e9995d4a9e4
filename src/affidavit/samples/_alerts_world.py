"""The invented organisation sample alerts happen in: hosts, people, addresses.

Everything is fictitious: the company is ``corp.example``, internal addresses
are private (10/8, 192.168/16), outside addresses come only from the
documentation ranges (RFC 5737) and outside domains only from names reserved
for examples (RFC 2606), so no sample points at a real system.
"""

from __future__ import annotations

import base64
import random
import uuid
from datetime import datetime

__all__ = [
    "AWS_EXAMPLE_KEY_ID",
    "AWS_EXAMPLE_SECRET",
    "NETBIOS_DOMAIN",
    "ORG_DOMAIN",
    "World",
    "encoded_powershell",
    "iso",
]

ORG_DOMAIN = "corp.example"
NETBIOS_DOMAIN = "CORP"
# The AWS documentation's example credentials: realistic shapes, never valid keys.
AWS_EXAMPLE_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # noqa: S105 - documented example

_DEPARTMENTS = ("sales", "hr", "fin", "eng", "legal", "mktg", "ops")
_SERVERS = ("srv-db-01", "srv-db-02", "srv-web-01", "srv-file-01", "srv-dc-01", "srv-app-03")
_PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")
_DOC_NETS = ("203.0.113", "198.51.100", "192.0.2")
_BAD_DOMAINS = (
    "cdn-update.example.net",
    "login-corp.example.com",
    "k7x2m9q.example.org",
    "files-share.example.net",
    "telemetry-sync.example.com",
)


def encoded_powershell(script: str) -> str:
    """What ``powershell -EncodedCommand`` takes: base64 of the UTF-16LE script."""
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def iso(moment: datetime, digits: int = 3) -> str:
    """``2025-03-03T08:00:00.000Z``-style text with ``digits`` fractional digits."""
    fraction = f"{moment.microsecond:06d}"[:digits]
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if digits else "") + "Z"


class World:
    """Deterministic draws from the invented organisation."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, options: tuple[str, ...]) -> str:
        return self.rng.choice(options)

    def workstation(self) -> str:
        return f"pc-{self.pick(_DEPARTMENTS)}-{self.rng.randrange(1, 1000):04d}"

    def server(self) -> str:
        return self.pick(_SERVERS)

    def host(self) -> str:
        return self.server() if self.rng.random() < 0.3 else self.workstation()

    def user(self) -> str:
        return self.pick(_PEOPLE)

    def email(self, user: str | None = None) -> str:
        return f"{user or self.user()}@{ORG_DOMAIN}"

    def internal_ip(self) -> str:
        rng = self.rng
        if rng.random() < 0.7:
            return f"10.{rng.randrange(0, 40)}.{rng.randrange(0, 256)}.{rng.randrange(2, 255)}"
        return f"192.168.{rng.randrange(0, 20)}.{rng.randrange(2, 255)}"

    def external_ip(self) -> str:
        return f"{self.pick(_DOC_NETS)}.{self.rng.randrange(1, 255)}"

    def bad_domain(self) -> str:
        return self.pick(_BAD_DOMAINS)

    def hex(self, length: int) -> str:
        return f"{self.rng.getrandbits(length * 4):0{length}x}"

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def account(self) -> str:
        return str(self.rng.randrange(10**11, 10**12))
