"""Targets of an action, written ``KIND:ID`` (``host:pc-sales-0215``, ``ip:203.0.113.7``).

The kind is a short lowercase word (``[a-z][a-z0-9_]{0,31}``); the id is
everything after the first colon, so ``ip:2001:db8::1`` and
``url:https://example.test/a`` parse as expected. Ids must be printable (see
``_text``), not padded with spaces, and at most ``MAX_TARGET_ID_LENGTH`` characters.

``canonical_id`` is the one spelling of an id that policy, the inventory and
authorizations compare (docs/governance.md, "Targets are canonical"), so that
``host:DC01`` and ``host:dc01.`` are ``host:dc01``:

- ``host``, ``domain``: lowercased, one trailing dot removed (DNS names ignore case).
- ``user``, ``mailbox``, ``email``: lowercased (directories match UPNs and
  addresses without case).
- ``ip``: the address in its standard form (``2001:DB8:0::1`` is ``2001:db8::1``,
  ``::ffff:10.0.0.1`` is ``10.0.0.1``); an id that is no address is kept.
- ``file``: a hexadecimal hash is lowercased; a path is kept.
- ``url``: scheme and host lowercased; path and query kept.
- any other kind (``case``, plugins'): kept exactly.

Aliases (an FQDN, a short name, an EDR device id) are the inventory's business:
see ``governance.assets.resolve``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from affidavit._text import KIND_PATTERN, check_pattern, check_printable, preview
from affidavit.errors import InputError

__all__ = ["MAX_TARGET_ID_LENGTH", "Target", "canonical_id", "canonical_target", "parse_target"]

MAX_TARGET_ID_LENGTH = 1024
_MAX_TARGET_TEXT = MAX_TARGET_ID_LENGTH + 33  # kind (32) + ":" + id
_KIND_RULE = (
    "a kind is a lowercase word of at most 32 letters, digits or '_' starting with a letter"
)


@dataclass(frozen=True, order=True)
class Target:
    """One thing an action applies to: its kind and its id within that kind."""

    kind: str
    id: str

    def __post_init__(self) -> None:
        check_pattern(self.kind, "target kind", KIND_PATTERN, _KIND_RULE)
        check_printable(self.id, "target id", max_len=MAX_TARGET_ID_LENGTH)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


def parse_target(text: object) -> Target:
    """Parse ``KIND:ID``; raise InputError naming what is wrong."""
    if not isinstance(text, str):
        raise InputError(f"a target must be a string KIND:ID, not {type(text).__name__}.")
    if len(text) > _MAX_TARGET_TEXT:
        raise InputError(f"target is {len(text)} characters long; the limit is {_MAX_TARGET_TEXT}.")
    kind, sep, ident = text.partition(":")
    if not sep:
        raise InputError(
            f"target {preview(text)} must be written KIND:ID, e.g. host:pc-sales-0215."
        )
    return Target(kind, ident)


_HEX = re.compile(r"[0-9A-Fa-f]{32,128}")
_DNS_KINDS = frozenset({"host", "domain"})
_FOLDED_KINDS = frozenset({"user", "mailbox", "email"})


def canonical_id(kind: str, ident: str) -> str:
    """The one spelling of ``ident`` for targets of ``kind`` (see the module docstring)."""
    if kind in _DNS_KINDS:
        folded = ident.lower()
        return folded[:-1] if folded.endswith(".") and len(folded) > 1 else folded
    if kind in _FOLDED_KINDS:
        return ident.lower()
    if kind == "ip":
        try:
            address = ipaddress.ip_address(ident)
        except ValueError:
            return ident
        mapped = getattr(address, "ipv4_mapped", None)
        return str(mapped if mapped is not None else address)
    if kind == "file":
        return ident.lower() if _HEX.fullmatch(ident) else ident
    if kind == "url":
        try:
            parts = urlsplit(ident)
        except ValueError:
            return ident
        return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))
    return ident


def canonical_target(target: Target) -> Target:
    """``target`` with its id in the one spelling of its kind."""
    ident = canonical_id(target.kind, target.id)
    return target if ident == target.id else Target(target.kind, ident)
