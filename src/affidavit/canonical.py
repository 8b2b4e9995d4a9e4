"""RFC 8785 JSON Canonicalization Scheme (JCS): the bytes behind every hash and signature.

``encode`` turns a JSON-shaped Python value into its one canonical UTF-8 form:
object members sorted by the UTF-16 code units of their names, no whitespace,
strings escaped only where JSON requires it, and numbers written the way
ECMAScript's ``Number.prototype.toString`` writes them (RFC 8785 §3.2.2.3).

Accepted values: ``dict`` with ``str`` keys, ``list`` and ``tuple`` (both become
arrays), ``str``, ``int``, ``float``, ``bool`` and ``None``. Subclasses (a
``StrEnum``, an ``IntEnum``) are encoded as their plain base value. Everything
else raises ``InputError`` naming the JSON path, for example ``$.body.items[3]``.

Limits, all raising ``InputError``:

* Integers must lie within ±(2**53 - 1). I-JSON (RFC 7493), which RFC 8785
  builds on, treats every number as an IEEE-754 double, so a larger ``int``
  could not be read back exactly; send such values as strings. ``bool`` is
  never treated as an integer.
* NaN and ±Infinity have no JSON form.
* Strings and keys must be valid Unicode: lone surrogates are refused.
* Nesting deeper than 256 arrays/objects is refused as hostile input (this
  also catches a value that contains itself).

``decode`` is the strict reader for the same data model. Besides malformed
JSON it refuses invalid UTF-8, duplicate object keys, the NaN/Infinity
literals, lone surrogates (including escaped ones such as ``"\\ud800"``),
numbers that overflow a double and nesting deeper than 256. Integer literals
beyond ±(2**53 - 1) are read as ``float``, the binary64 value every I-JSON
reader sees, so ``decode`` accepts every document ``encode`` produces.

``encode`` sits on the ledger append path, so it first checks whether
``json.dumps``-style output is provably identical (only exact built-in types,
integers in range, floats whose ``repr`` is already the ECMAScript form, no key
whose UTF-16 order could differ from code-point order, shallow enough) and uses
the C encoder when it is; otherwise a careful pure-Python path does the work and
produces the error messages. Tests check that both paths agree.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import reprlib
from operator import itemgetter
from typing import Any, TypeAlias, cast

from affidavit.errors import InputError

__all__ = ["JsonValue", "decode", "encode", "sha256_hex"]

JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None

_MAX_SAFE_INTEGER = 2**53 - 1
_MAX_DEPTH = 256

_SURROGATE = re.compile("[\ud800-\udfff]")
# Only a key holding a character above U+FFFF can sort differently by UTF-16
# code units (surrogate pairs) than by code points.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_NEEDS_ESCAPE = re.compile('[\\x00-\\x1f"\\\\]')
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = 40
_SHORT_REPR.maxother = 40

# ---------------------------------------------------------------- public API


def encode(value: object) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of ``value``; raise InputError if it has none."""
    fast = _encode_fast(value)
    return fast if fast is not None else _encode_slow(value)


def sha256_hex(value: object) -> str:
    """Return the lowercase hex SHA-256 of ``encode(value)``."""
    return hashlib.sha256(encode(value)).hexdigest()


def decode(data: bytes | str) -> JsonValue:
    """Parse one strict JSON document (UTF-8 bytes or text); raise InputError if in any doubt."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"JSON input is not valid UTF-8 (bad byte at offset {exc.start})."
            ) from None
    elif isinstance(data, str):
        text = data
    else:
        raise InputError(f"JSON input must be bytes or str, not {_type_name(data)}.")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except json.JSONDecodeError as exc:
        raise InputError(
            f"JSON input is malformed at line {exc.lineno}, column {exc.colno}: {exc.msg}."
        ) from None
    except RecursionError:
        raise InputError(
            f"JSON input nests deeper than {_MAX_DEPTH} levels, which is refused as hostile input."
        ) from None
    _check_decoded(value, [], 0)
    return cast(JsonValue, value)


# ----------------------------------------------------------------- fast path

_FAST_ENCODER = json.JSONEncoder(
    ensure_ascii=False,
    allow_nan=False,
    sort_keys=True,
    separators=(",", ":"),
    check_circular=False,  # the eligibility walk already bounds depth, so no cycles get here
)
_ALWAYS_FAST = frozenset({str, bool, type(None)})


def _encode_fast(value: object) -> bytes | None:
    """Canonical bytes via the C encoder, or None when its output could differ from RFC 8785."""
    if not _fast_eligible(value, 0):
        return None
    try:
        return _FAST_ENCODER.encode(value).encode("utf-8")
    except UnicodeEncodeError:
        return None  # a lone surrogate somewhere; the slow path says where


def _fast_eligible(value: Any, depth: int) -> bool:
    kind = type(value)
    if kind in _ALWAYS_FAST:
        return True
    if kind is int:
        return bool(-_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER)
    if kind is float:
        # Python's repr uses the same shortest digits as ECMAScript; the layouts
        # only differ for exponents, integral values ("1.0") and inf/nan.
        text = float.__repr__(value)
        return "e" not in text and "n" not in text and not text.endswith(".0")
    if kind is dict:
        if depth >= _MAX_DEPTH:
            return False
        for key, item in value.items():
            if type(key) is not str or (not key.isascii() and _ASTRAL.search(key)):
                return False
            if type(item) not in _ALWAYS_FAST and not _fast_eligible(item, depth + 1):
                return False
        return True
    if kind is list or kind is tuple:
        if depth >= _MAX_DEPTH:
            return False
        for item in value:
            if type(item) not in _ALWAYS_FAST and not _fast_eligible(item, depth + 1):
                return False
        return True
    return False


# ----------------------------------------------------------------- slow path


def _encode_slow(value: object) -> bytes:
    out: list[str] = []
    _write(value, out, [], 0)
    return "".join(out).encode("utf-8")


def _write(value: object, out: list[str], path: list[str | int], depth: int) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        text = str.__str__(value)
        _reject_surrogates(text, path, "string")
        out.append(_quote(text))
    elif isinstance(value, int):
        out.append(_format_integer(value, path))
    elif isinstance(value, float):
        out.append(_format_float(float.__float__(value), path))
    elif isinstance(value, dict):
        _check_depth(depth, path)
        members = []
        for key, item in dict.items(value):
            if not isinstance(key, str):
                raise InputError(
                    f"The object at {_format_path(path)} has the key {_SHORT_REPR.repr(key)} of "
                    f"{_type_name(key)}, but JSON object keys must be str."
                )
            name = str.__str__(key)
            _reject_surrogates(name, [*path, name], "object key")
            members.append((name.encode("utf-16-be"), name, item))
        members.sort(key=itemgetter(0))
        out.append("{")
        for index, (_, name, item) in enumerate(members):
            if index:
                out.append(",")
            out.append(_quote(name))
            out.append(":")
            path.append(name)
            _write(item, out, path, depth + 1)
            path.pop()
        out.append("}")
    elif isinstance(value, list | tuple):
        _check_depth(depth, path)
        items = list.__iter__(value) if isinstance(value, list) else tuple.__iter__(value)
        out.append("[")
        for index, item in enumerate(items):
            if index:
                out.append(",")
            path.append(index)
            _write(item, out, path, depth + 1)
            path.pop()
        out.append("]")
    else:
        raise InputError(
            f"The value at {_format_path(path)} has {_type_name(value)}, which is not a JSON type "
            "(use dict, list, tuple, str, int, float, bool or None)."
        )


def _quote(text: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(_escape, text) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _format_integer(value: int, path: list[str | int]) -> str:
    number = int.__int__(value)
    if not -_MAX_SAFE_INTEGER <= number <= _MAX_SAFE_INTEGER:
        raise InputError(
            f"The integer {_SHORT_REPR.repr(number)} at {_format_path(path)} is outside "
            "±(2**53 - 1), which I-JSON numbers cannot hold exactly; send it as a string."
        )
    return int.__repr__(number)


def _format_float(value: float, path: list[str | int]) -> str:
    """ECMAScript Number::toString layout around the shortest round-trip digits of ``repr``."""
    if not math.isfinite(value):
        raise InputError(
            f"The number at {_format_path(path)} is {value!r}, but JSON has no NaN or Infinity."
        )
    if value == 0:
        return "0"  # also -0.0
    text = repr(value)
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    # point: where the decimal point sits relative to the start of ``digits``
    point = len(whole) + (int(exponent) if exponent else 0)
    significant = digits.lstrip("0")
    point -= len(digits) - len(significant)
    significant = significant.rstrip("0")
    # ES names: value = 0.s x 10**n, with k digits in s (ECMA-262 Number::toString)
    k, n = len(significant), point
    if k <= n <= 21:
        body = significant + "0" * (n - k)
    elif 0 < n <= 21:
        body = significant[:n] + "." + significant[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * -n + significant
    else:
        head = significant if k == 1 else significant[0] + "." + significant[1:]
        body = f"{head}e{'+' if n > 0 else '-'}{abs(n - 1)}"
    return sign + body


# ------------------------------------------------------------ shared checks


def _check_depth(depth: int, path: list[str | int]) -> None:
    if depth >= _MAX_DEPTH:
        raise InputError(
            f"The value at {_format_path(path)} nests deeper than {_MAX_DEPTH} levels "
            "(or contains itself), which is refused as hostile input."
        )


def _reject_surrogates(text: str, path: list[str | int], what: str) -> None:
    if not text.isascii():
        found = _SURROGATE.search(text)
        if found:
            raise InputError(
                f"The {what} at {_format_path(path)} contains the lone surrogate "
                f"U+{ord(found.group()):04X}, which is not valid Unicode."
            )


def _format_path(path: list[str | int]) -> str:
    parts = [
        f"[{segment}]"
        if isinstance(segment, int)
        else f".{segment}"
        if _IDENTIFIER.match(segment)
        else f"[{json.dumps(segment)}]"
        for segment in path
    ]
    if len(parts) > 12:
        parts = [*parts[:6], "...", *parts[-4:]]
    return "$" + "".join(parts)


def _type_name(value: object) -> str:
    kind = type(value)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    return f"type {name!r}"


# ------------------------------------------------------------- decode hooks


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise InputError(
                    f"JSON input repeats the object key {_SHORT_REPR.repr(key)}; "
                    "duplicate keys are ambiguous and refused."
                )
            seen.add(key)
    return result


def _reject_constant(name: str) -> float:
    raise InputError(f"JSON input contains {name}, which is not a JSON number.")


def _parse_int(text: str) -> int | float:
    if len(text) < 20:
        number = int(text)
        if -_MAX_SAFE_INTEGER <= number <= _MAX_SAFE_INTEGER:
            return number
    return _parse_float(text)  # beyond 2**53 - 1 only the binary64 value is meaningful


def _parse_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise InputError(
            f"JSON number {_SHORT_REPR.repr(text)} is too large for an IEEE-754 double."
        )
    return number


def _check_decoded(value: object, path: list[str | int], depth: int) -> None:
    if isinstance(value, str):
        _reject_surrogates(value, path, "string")
    elif isinstance(value, dict):
        _check_depth(depth, path)
        for key, item in value.items():
            path.append(key)
            _reject_surrogates(key, path, "object key")
            _check_decoded(item, path, depth + 1)
            path.pop()
    elif isinstance(value, list):
        _check_depth(depth, path)
        for index, item in enumerate(value):
            path.append(index)
            _check_decoded(item, path, depth + 1)
            path.pop()
