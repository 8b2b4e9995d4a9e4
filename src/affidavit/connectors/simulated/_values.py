"""Target ids as the simulated systems understand them, and deterministic "randomness".

A real EDR or firewall would refuse a malformed host name or address; the
simulations refuse them the same way (InputError) before touching any state.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re

from affidavit.connectors._checks import check_printable, optional_int, preview
from affidavit.connectors.request import ActionRequest
from affidavit.errors import InputError

__all__ = [
    "DEFAULT_TTL_S",
    "digest_int",
    "domain_name",
    "email_address",
    "file_hash",
    "ip_address",
    "object_id",
    "ttl_seconds",
]

MAX_OBJECT_ID = 255
DEFAULT_TTL_S = 86_400  # a block without a stated TTL lasts one day, never forever
_MIN_TTL_S = 60
_MAX_TTL_S = 2_592_000  # 30 days, the catalog's limit
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_HEX_HASH = re.compile(r"[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}")


def digest_int(*parts: str) -> int:
    """A stable number from text: the same indicator always gets the same simulated answer."""
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def object_id(value: str, what: str) -> str:
    """A host, user, mailbox or case id: printable, at most 255 characters, kept as given."""
    return check_printable(value, what, max_len=MAX_OBJECT_ID)


def ip_address(value: str) -> str:
    """An IPv4 or IPv6 address in its normal text form."""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise InputError(f"target {preview(value)} is not an IP address.") from None


def domain_name(value: str) -> str:
    """A DNS name in lowercase ASCII (IDNA), without a trailing dot."""
    check_printable(value, "domain", max_len=MAX_OBJECT_ID)
    name = value.lower().removesuffix(".")
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise InputError(f"target {preview(value)} is not a valid domain name.") from None
    labels = ascii_name.split(".")
    if (
        len(ascii_name) > 253
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
    ):
        raise InputError(f"target {preview(value)} is not a valid domain name.")
    return ascii_name


def email_address(value: str) -> str:
    """``local@domain`` with the domain normalised; the local part is kept as given."""
    check_printable(value, "email address", max_len=254)
    local, sep, domain = value.rpartition("@")
    if not sep or not local or len(local) > 64 or " " in local:
        raise InputError(f"target {preview(value)} is not an email address.")
    return f"{local}@{domain_name(domain)}"


def file_hash(value: str) -> str:
    """An MD5, SHA-1 or SHA-256 in lowercase hex."""
    lowered = value.lower()
    if _HEX_HASH.fullmatch(lowered) is None:
        raise InputError(
            f"target {preview(value)} is not a file hash (MD5, SHA-1 or SHA-256 in hex)."
        )
    return lowered


def ttl_seconds(request: ActionRequest, *, required: bool) -> int:
    """The ``ttl_seconds`` parameter, or the one-day default when it may be left out."""
    ttl = optional_int(request.params, "ttl_seconds", low=_MIN_TTL_S, high=_MAX_TTL_S)
    if ttl is None:
        if required:
            raise InputError(f"{request.action} needs the parameter ttl_seconds.")
        return DEFAULT_TTL_S
    return ttl
