"""Read alert files: one JSON object, a JSON array of objects, or JSON lines.

An object that is an API response page holding several alerts (SCC
``ListFindings``, a Graph/Azure ``value`` collection, Splunk ``results``... see
``_envelopes``) is read as the alerts it holds, each named by its path in the
page (``item 0 (line 1), value[3]``).

Limits (``ReaderLimits``, defaults in brackets) keep a hostile or broken file
from exhausting memory or the stack:

* whole input [64 MiB], checked before anything is decoded;
* one alert [1 MiB] of UTF-8 JSON text;
* nesting [64] levels of objects/arrays inside one alert;
* number of alerts [100,000] in one input.

The input must be UTF-8 (a UTF-8 byte-order mark is allowed). JSON's NaN and
Infinity extensions and duplicate keys in one object are refused: the raw
alert is kept as evidence, and two parsers must not read it two ways.
Every problem is an ``InputError`` naming the line, or the array item and its
line, where it was found. Input-wide problems are raised by ``read_alerts``
itself; problems in the content are raised while iterating.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._envelopes import envelope_items
from affidavit.intake._jsonvalue import copy_json

__all__ = ["DEFAULT_LIMITS", "LocatedAlert", "ReaderLimits", "located_alerts", "read_alerts"]

_MIB = 1024 * 1024
_WHITESPACE = re.compile(r"[ \t\r\n]*")
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
LocatedAlert = tuple[str, dict[str, Any]]  # (where it was found, the object)


@dataclass(frozen=True, slots=True)
class ReaderLimits:
    max_input_bytes: int = 64 * _MIB
    max_alert_bytes: int = 1 * _MIB
    max_depth: int = 64
    max_alerts: int = 100_000


DEFAULT_LIMITS = ReaderLimits()


class _Refused(ValueError):
    """Raised from decoder hooks; turned into an InputError with a position."""


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"duplicate key {key[:40]!r} in one object")
            seen.add(key)
    return obj


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicates, parse_constant=_refuse_constant
)


def _skip_ws(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return match.end() if match is not None else pos


def _line_and_column(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _decode_text(data: bytes) -> str:
    if data.startswith(_UTF16_32_BOMS):
        raise InputError("the input is UTF-16 or UTF-32 encoded; save it as UTF-8.")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError(f"the input is binary, not JSON text (NUL byte on line {line}).")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"the input is not valid UTF-8 (line {line}, byte offset {exc.start})."
        ) from None


class _ParseError(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


def _parse(text: str, pos: int) -> tuple[Any, int]:
    """One JSON value starting at ``pos``; errors carry the message and the position."""
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise _ParseError(exc.msg, exc.pos) from None
    except _Refused as exc:
        raise _ParseError(str(exc), pos) from None
    except RecursionError:
        raise _ParseError("nested far too deeply", pos) from None
    except ValueError as exc:  # e.g. an integer longer than Python's digit limit
        raise _ParseError(str(exc).split(";")[0], pos) from None


def _too_big(segment: str, limit: int) -> bool:
    # Characters never outnumber UTF-8 bytes, and a character is at most 4 bytes.
    if len(segment) > limit:
        return True
    return len(segment) * 4 > limit and len(segment.encode("utf-8")) > limit


def _checked(value: Any, where: str, limits: ReaderLimits) -> dict[str, Any]:
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else f"a JSON {type(value).__name__}"
        raise InputError(f"{where} is {kind}, not a JSON object; each alert must be an object.")
    checked: dict[str, Any] = copy_json(value, where=where, max_depth=limits.max_depth)
    return checked


def _located(
    value: Any, segment: str, where: str, inside: str, limits: ReaderLimits
) -> Iterator[LocatedAlert]:
    """The alert ``value`` found at ``where``, or each alert of an envelope.

    ``segment`` is the value's JSON text; ``inside`` describes the value as a
    container, to name the items of an envelope (``item 2 (line 9), value[0]``).
    """
    items = envelope_items(value)
    if items is None:
        if _too_big(segment, limits.max_alert_bytes):
            raise InputError(f"{where} is larger than {limits.max_alert_bytes} bytes.")
        yield where, _checked(value, where, limits)
        return
    # A page may be larger than one alert may be; each of its items may not.
    measure = _too_big(segment, limits.max_alert_bytes)
    for label, item in items:
        item_where = inside.format(label=label)
        if measure and _too_big(json.dumps(item, ensure_ascii=False), limits.max_alert_bytes):
            raise InputError(f"{item_where} is larger than {limits.max_alert_bytes} bytes.")
        yield item_where, _checked(item, item_where, limits)


class _Lines:
    """Line numbers for increasing positions, counting each newline once (not O(n) a call)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._line = 1

    def at(self, pos: int) -> int:
        if pos < self._pos:
            return _line_and_column(self._text, pos)[0]
        self._line += self._text.count("\n", self._pos, pos)
        self._pos = pos
        return self._line


def _read_array(text: str, start: int, limits: ReaderLimits) -> Iterator[LocatedAlert]:
    lines = _Lines(text)
    pos = _skip_ws(text, start + 1)
    index = 0
    closed = pos < len(text) and text[pos] == "]"
    while not closed:
        if index >= limits.max_alerts:
            raise InputError(f"the input holds more than {limits.max_alerts} alerts; split it.")
        where = f"item {index} (line {lines.at(pos)})"
        try:
            value, end = _parse(text, pos)
        except _ParseError as exc:
            line, column = _line_and_column(text, exc.pos)
            raise InputError(
                f"item {index} (line {line}, column {column}): {exc.message}."
            ) from None
        yield from _located(value, text[pos:end], where, where + ", {label}", limits)
        pos = _skip_ws(text, end)
        separator = text[pos] if pos < len(text) else ""
        if separator not in (",", "]"):
            line, column = _line_and_column(text, pos)
            raise InputError(
                f"line {line}, column {column}: expected ',' or ']' after item {index}."
            )
        closed = separator == "]"
        if not closed:
            pos = _skip_ws(text, pos + 1)
            index += 1
    pos = _skip_ws(text, pos + 1)
    if pos != len(text):
        line, column = _line_and_column(text, pos)
        raise InputError(f"line {line}, column {column}: unexpected text after the JSON array.")


def _read_lines(text: str, limits: ReaderLimits) -> Iterator[LocatedAlert]:
    count = 0
    line_start = 0
    for lineno in range(1, text.count("\n") + 2):
        line_end = text.find("\n", line_start)
        if line_end < 0:
            line_end = len(text)
        line = text[line_start:line_end]
        line_start = line_end + 1
        start = _skip_ws(line, 0)
        if start == len(line):
            continue
        where = f"line {lineno}"
        try:
            value, end = _parse(line, start)
        except _ParseError as exc:
            raise InputError(
                f"{where}, column {exc.pos + 1}: {exc.message} "
                "(read as JSON lines: one object per line)."
            ) from None
        rest = _skip_ws(line, end)
        if rest != len(line):
            raise InputError(
                f"{where}, column {rest + 1}: more than one JSON value on the line "
                "(read as JSON lines: one object per line)."
            )
        if count >= limits.max_alerts:
            raise InputError(f"the input holds more than {limits.max_alerts} alerts; split it.")
        count += 1
        yield from _located(value, line, where, where + ", {label}", limits)


def _read(text: str, limits: ReaderLimits) -> Iterator[LocatedAlert]:
    start = _skip_ws(text, 0)
    first = text[start]
    if first == "[":
        yield from _read_array(text, start, limits)
        return
    if first != "{":
        line, column = _line_and_column(text, start)
        raise InputError(
            f"line {line}, column {column}: expected a JSON object, an array of objects "
            f"or JSON lines, but the input starts with {first!r}."
        )
    try:
        value, end = _parse(text, start)
    except _ParseError as exc:
        # The first object is broken, whether the input is one object or JSON lines.
        line, column = _line_and_column(text, exc.pos)
        raise InputError(f"line {line}, column {column}: {exc.message}.") from None
    if _skip_ws(text, end) == len(text):
        line, _ = _line_and_column(text, start)
        where = f"the alert (line {line})"
        inside = "{label} of the response on line " + str(line)
        yield from _located(value, text[start:end], where, inside, limits)
        return
    yield from _read_lines(text, limits)


def _start(data: bytes, limits: ReaderLimits) -> str:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InputError("alerts must be read from bytes.")
    data = bytes(data)
    if len(data) > limits.max_input_bytes:
        raise InputError(
            f"the input is {len(data)} bytes; the limit is {limits.max_input_bytes} bytes."
        )
    text = _decode_text(data)
    if not text.strip(" \t\r\n"):
        raise InputError("the input is empty; expected a JSON object, an array or JSON lines.")
    return text


def _counted(located: Iterator[LocatedAlert], limits: ReaderLimits) -> Iterator[LocatedAlert]:
    # Envelopes make the count of alerts differ from the count of JSON values.
    for count, found in enumerate(located, start=1):
        if count > limits.max_alerts:
            raise InputError(f"the input holds more than {limits.max_alerts} alerts; split it.")
        yield found


def located_alerts(data: bytes, *, limits: ReaderLimits = DEFAULT_LIMITS) -> Iterator[LocatedAlert]:
    """Like ``read_alerts``, with where each object was found (``"line 3"``,
    ``"item 2 (line 40)"``, ``"item 0 (line 1), value[3]"``), so a caller can name
    the record a later step refuses."""
    return _counted(_read(_start(data, limits), limits), limits)


def read_alerts(data: bytes, *, limits: ReaderLimits = DEFAULT_LIMITS) -> Iterator[dict[str, Any]]:
    """Iterate over the alert objects in ``data`` (a JSON object, array or JSON lines).

    Raises ``InputError`` at once for input that is too large, empty, binary or
    not UTF-8, and while iterating for any record that is malformed, too large,
    too deep, or not an object. An empty array yields nothing.
    """
    located = _counted(_read(_start(data, limits), limits), limits)
    return (obj for _, obj in located)
