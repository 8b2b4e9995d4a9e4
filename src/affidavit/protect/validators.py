"""Checks that turn a pattern match into a finding: checksums, number rules, randomness.

They run only on candidate matches, never on the whole text, so clarity beats speed here
(but each stays O(len(value))).
"""

from __future__ import annotations

import base64
import binascii
import importlib
import ipaddress
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "char_classes",
    "entropy_at_least",
    "iban_valid",
    "ipv4_in",
    "ipv6_in",
    "is_placeholder",
    "jwt_header_valid",
    "jwt_valid",
    "luhn_valid",
    "placeholder_token",
    "private_key_body_valid",
    "shannon_entropy",
    "us_ssn_valid",
]

_NON_DIGITS = re.compile(r"[^0-9]")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_DOTTED_QUAD = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")
_PLACEHOLDER = re.compile(
    r"""(?x)
    [*xX#.•-]+                      # already masked: ****, xxxx
    | \$\{?[A-Za-z_][A-Za-z0-9_]*\}? # $VAR, ${VAR}
    | %[A-Za-z_][A-Za-z0-9_]*%       # %VAR%
    | \{\{.*\}\} | <[^<>]*> | \[[^\[\]]*\]   # {{ template }}, <password>, [REDACTED]
    | (?i:null|none|nil|true|false|undefined|redacted|hidden|secret|password|changeme|example)
    """
)


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check used by payment card numbers; separators are ignored."""
    digits = _NON_DIGITS.sub("", digits)
    if not digits:
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, read letters as
    10..35, and the number must be 1 modulo 97. Spaces are ignored."""
    compact = iban.replace(" ", "").upper()
    if len(compact) < 5 or not compact.isalnum() or not compact.isascii():
        return False
    rearranged = compact[4:] + compact[:4]
    remainder = 0
    for char in rearranged:
        value = int(char, 36)
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder == 1


def us_ssn_valid(ssn: str) -> bool:
    """SSA rules for issuable numbers: area not 000, 666 or 900-999; group not 00;
    serial not 0000; and not a number the SSA says was never valid (advertising)."""
    digits = _NON_DIGITS.sub("", ssn)
    if len(digits) != 9:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return digits not in ("078051120", "219099999", "123456789")


def _counter_counts(value: str) -> Iterable[int]:
    return Counter(value).values()


def _helper_counts(value: str) -> Iterable[int]:
    counts: dict[str, int] = {}
    _COUNT_ELEMENTS(counts, value)
    return counts.values()


# Counter's own C helper, without building a Counter (its __init__ costs more than the
# counting for a 40-character value); private to CPython, so looked up, not imported.
try:
    _COUNT_ELEMENTS: Any = importlib.import_module("_collections")._count_elements
except (ImportError, AttributeError):  # pragma: no cover - not CPython
    _COUNT_ELEMENTS = None
_counts = _counter_counts if _COUNT_ELEMENTS is None else _helper_counts


# c * log2(c) for the character counts of values up to the longest secret we check.
_XLOGX = tuple(c * math.log2(c) if c else 0.0 for c in range(1025))


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s own character distribution."""
    if not value:
        return 0.0
    size = len(value)
    counts = _counts(value)
    # H = log2(n) - sum(c * log2(c)) / n over the character counts c (a table lookup
    # per count below 1025: this runs on every assignment candidate).
    total = (
        sum(map(_XLOGX.__getitem__, counts))
        if size <= 1024
        else sum(c * math.log2(c) for c in counts)
    )
    return max(0.0, math.log2(size) - total / size)


# Float slack for the bounds below: a bound decides only when it clears the threshold by
# more than any rounding in shannon_entropy could move the exact figure.
_SLACK = 1e-9


def entropy_at_least(value: str, threshold: float, distinct: int | None = None) -> bool:
    """``shannon_entropy(value) >= threshold``, mostly without counting characters.

    With ``n`` characters of which ``k`` are distinct (``distinct``, if the caller has
    it), the entropy lies between that of one character taking ``n - k + 1`` places
    and the rest one each (the least even spread of k characters) and ``log2(k)``.
    A random token clears the lower bound, a padded one misses the upper: only values
    between the two are counted."""
    size = len(value)
    if size <= 1 or threshold <= 0:
        return shannon_entropy(value) >= threshold
    k = len(set(value)) if distinct is None else distinct
    if math.log2(k) < threshold - _SLACK:
        return False
    rest = size - k + 1
    if math.log2(size) - rest * math.log2(rest) / size >= threshold + _SLACK:
        return True
    return shannon_entropy(value) >= threshold


_CLASSES = tuple(re.compile(p) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9_.-]"))
_DIGIT = re.compile(r"[0-9]")
_OTHER = re.compile(r"[^a-zA-Z0-9_.-]")


def char_classes(value: str) -> int:
    """How many of lower case, upper case, digits and other symbols ``value`` uses
    (``_``, ``-`` and ``.`` do not count: identifiers use them as separators)."""
    if not value.isascii():
        return sum(1 for pattern in _CLASSES if pattern.search(value))
    # ASCII: case changes tell lower and upper apart at C speed.
    return (
        (value.upper() != value)
        + (value.lower() != value)
        + (_DIGIT.search(value) is not None)
        + (_OTHER.search(value) is not None)
    )


def is_placeholder(value: str, distinct: int | None = None) -> bool:
    """True for values that stand in for a secret rather than being one (``distinct``:
    how many distinct characters ``value`` has, when the caller has counted them)."""
    return _PLACEHOLDER.fullmatch(value) is not None or _filler(value, distinct)


# Documentation and templates pad a token's shape with one character (`ghp_xxxx...`,
# `AKIAXXXXXXXXXXXXXXXX`, `AIzaSyAAAA...`): a run of 8 of a padding character, or a value made
# of 4 or fewer distinct characters, is no random secret (a random base32 body of 16
# characters has such a run with a probability below 1e-9).
_TEMPLATE_WORDS = ("your", "example_", "_here", "placeholder", "redacted")
# The characters templates pad with, eight in a row: one alternation of literals, which
# the regex engine skips through faster than a back-reference or eleven substring tests.
_FILLER_RUN = re.compile("|".join(re.escape(c * 8) for c in "xX*#0._-Aa1"))


def _filler(value: str, distinct: int | None = None) -> bool:
    if len(value) < 8:
        return False
    if _FILLER_RUN.search(value) is not None:
        return True
    if distinct is None:
        # Five distinct characters among the first eight settle it without a set of the
        # whole value (a random token's first eight almost always hold five).
        if len(set(value[:8])) > 4:
            return False
        distinct = len(set(value))
    return distinct <= 4


def placeholder_token(value: str) -> bool:
    """True for a self-identifying token that is a template, not a credential: its body
    (what follows the vendor prefix) is filler or names itself (`sk_live_your_key_here`)."""
    if _filler(value):
        return True
    if "<" in value or ">" in value or "${" in value or "{{" in value:
        return True
    # Spelled out rather than any(...) over _TEMPLATE_WORDS: this runs on every
    # self-identifying token found, and a generator costs more than the five tests.
    lowered = value.lower()
    return (
        "your" in lowered
        or "example_" in lowered
        or "_here" in lowered
        or "placeholder" in lowered
        or "redacted" in lowered
    )


def ipv4_in(networks: Iterable[ipaddress.IPv4Network]) -> Callable[[str], bool]:
    """A check that a dotted quad lies in one of ``networks`` (integer compares, no parsing
    library on the hot path)."""
    ranges = tuple((int(n.network_address), int(n.netmask)) for n in networks)

    def check(value: str) -> bool:
        if _DOTTED_QUAD.fullmatch(value) is None:
            return False
        first, second, third, fourth = map(int, value.split("."))
        address = first << 24 | second << 16 | third << 8 | fourth
        return any(address & mask == net for net, mask in ranges)

    return check


def ipv6_in(networks: Iterable[ipaddress.IPv6Network]) -> Callable[[str], bool]:
    """A check that an IPv6 address in any valid notation lies in one of ``networks``."""
    nets = tuple(networks)

    def check(value: str) -> bool:
        try:
            address = ipaddress.IPv6Address(value)
        except ValueError:
            return False
        return any(address in net for net in nets)

    return check


_LINE_BREAKS = re.compile(r"\\{1,2}[rn]|[\r\n]")


def _one_line_break_each(text: str) -> str:
    """``_LINE_BREAKS.sub("\\n", text)`` by plain replaces (a tenth of the time on a key
    block: the regex tries every position). The regex takes two backslashes where it can
    (a match never ends in one, so the leftmost try at a double backslash comes first),
    so the three-character escapes go first; a replace leaves a real line break, which
    starts no escape, so the later replaces cannot see what the regex would not."""
    if "\\" in text:
        text = text.replace("\\\\r", "\n").replace("\\\\n", "\n")
        text = text.replace("\\r", "\n").replace("\\n", "\n")
    return text.replace("\r", "\n")


def _b64url_json(segment: str) -> object:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        return None


def jwt_header_valid(token: str) -> bool:
    """A JWT's first segment must decode (base64url) to a JSON object naming ``alg`` or ``typ``."""
    decoded = _b64url_json(token.split(".", 1)[0])
    return isinstance(decoded, dict) and ("alg" in decoded or "typ" in decoded)


def jwt_valid(token: str) -> bool:
    """:func:`jwt_header_valid` for a token that may be wrapped across lines (real or
    JSON-escaped breaks). A token without a signature part (``header.payload``, as
    unsigned ``alg: none`` tokens are pasted) needs a payload that is a JSON object too."""
    token = _one_line_break_each(token).replace("\n", "")
    if not jwt_header_valid(token):
        return False
    parts = token.split(".")
    return len(parts) > 2 or isinstance(_b64url_json(parts[1]), dict)


_PEM_HEADER = re.compile(r"-----(?:BEGIN|END) [A-Z0-9 ]+-----")
_PEM_FIELD = re.compile(r"(?m)^[A-Za-z-]+: [^\r\n]*$")
_B64_BODY = re.compile(r"[A-Za-z0-9+/]+={0,2}(?:=[A-Za-z0-9+/]{4})?")


def private_key_body_valid(block: str) -> bool:
    """A key block's body (armour and `Proc-Type:`-style fields aside) must be base64
    with some randomness: `<your key here>`, `...` or `XXXX` between the armour lines
    is a template, not a key."""
    body = _one_line_break_each(_PEM_HEADER.sub("", block))
    if ": " in body:  # every field has one: without, the substitution has nothing to do
        body = _PEM_FIELD.sub("", body)
    compact = "".join(body.split())
    return (
        len(compact) >= 24 and _B64_BODY.fullmatch(compact) is not None and len(set(compact)) >= 12
    )
