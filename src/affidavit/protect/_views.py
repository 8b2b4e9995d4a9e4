"""Views of a text with evasions undone, each mapped back to the text's own offsets.

A careless paste or an attacker hides a value from patterns without hiding it from a
reader: a zero-width space inside a key, full-width digits or a full-width `＠`, a
JSON `\\u0041` or `\\/` escape, a URL `%2F` escape, or one layer of base64. The scanner
scans the text as it is and, where such characters occur, also scans a *view* with them
undone: Unicode NFKC per character, zero-width characters dropped, JSON and URL escapes
decoded, or a base64 run decoded (one level, only when it decodes to text). A finding in
a view is reported over the original characters it came from, so a treatment replaces
the disguised value whole.

Views are built only around the characters that need them (a window of the line
around each, widened to whitespace), so text without such characters costs one fast
check per kind of escape and nothing else.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
import unicodedata
from typing import NamedTuple

from affidavit.protect.detector import Pattern

__all__ = [
    "BASE64_RUNS",
    "ESCAPES",
    "View",
    "base64_view",
    "decoded_base64",
    "edit_views",
    "triggers",
    "unicode_triggers",
]

_ZERO_WIDTH = frozenset("\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff")
# Escapes that can hide a character of a secret: JSON \uXXXX and \/, and URL escapes of
# printable ASCII other than the space. One expression per leading character, so that
# the regex engine can skip to it.
_JSON_ESCAPE = r"\\(?:u[0-9A-Fa-f]{4}|/)"
_URL_ESCAPE = r"%(?:2[1-9A-Fa-f]|[3-6][0-9A-Fa-f]|7[0-9A-Ea-e])"
_JSON_TRIGGER = re.compile(_JSON_ESCAPE)
_URL_TRIGGER = re.compile(_URL_ESCAPE)
_EDIT = re.compile(
    r"\\u(?P<u>[0-9A-Fa-f]{4})|\\(?P<j>[\"\\/bfnrt])"
    r"|%(?P<p>2[1-9A-Fa-f]|[3-6][0-9A-Fa-f]|7[0-9A-Ea-e])"
    "|(?P<n>(?:(?![\\u00ad\\u180e\\u200b-\\u200d\\u2060\\ufeff])[^\\x00-\\x7f]){1,256})"
    r"|(?P<c>[^\x00-\x7f])"
)
_JSON_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r"}
_JSON_ESCAPES["t"] = "\t"
# Characters that can hide a value: zero-width ones (always), the full-width `＠`
# (always), and full-width or compatibility letters and digits (ligatures, circled,
# superscript, mathematical) and the symbols secrets use (＋／＝＿－), but only in or
# beside a run of four or more letters or digits, checked once per run of them:
# `ＩＤ`, `①` or `（）` in Japanese text hide nothing, `４１１１ １１１１` or
# `ｓｋ＿ｌｉｖｅ` may. The searches run at C speed.
_ALWAYS = re.compile("[\u00ad\u180e\u200b-\u200d\u2060\ufeff\uff20]")
_COMPAT = (
    "\u00aa\u00b2\u00b3\u00b9\u00ba\u2070-\u209f\u2100-\u218f\u2460-\u24ff\ufb00-\ufb06"
    "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\U0001d400-\U0001d7ff"
)
_SUSPECTS = re.compile(f"[{_COMPAT}\uff0b\uff0d\uff0f\uff1d\uff3f]+")
_ALNUM_RUN = re.compile(f"[0-9A-Za-z{_COMPAT}]{{4}}")
_WINDOW = 256  # characters of context kept on each side of an escape, within its line
_WIDEN = 64  # further characters searched for whitespace to end a window on
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff]")
_CONTROL_16 = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\uffff]")

# Base64 runs worth decoding: padded ones (`=` or `==`: two lengths in three), and any
# run piped into a decoder (`... | base64 -d`) or given to one (`powershell -enc ...`,
# `FromBase64String("...")`). Finding every unpadded run would cost a callback per
# hash and identifier in the text; those two contexts are where people unwrap one.
_B64 = "A-Za-z0-9+/"
_PIPED = r"""[ \t"']{0,4}\|[ \t]{0,4}(?:base64|openssl|certutil)"""
_DECODER = (
    r"(?i:-e(?:c|nc|ncodedcommand)?[ \t]{1,4}|frombase64string\(|atob\(|b64decode\()"
    r"""[ \t]{0,4}["']?"""
)


def _worth_decoding(value: str) -> bool:
    """Cheap checks only: the run is decoded after the scanner has dropped the runs
    inside values already found (most of them: keys, auth headers)."""
    return len(value.rstrip("=")) % 4 != 1 and not value.isdigit()


BASE64_RUNS = (
    Pattern(
        kind="base64_run",
        regex=f"(?<![{_B64}])[{_B64}]{{20,8192}}+(?:={{1,2}}+(?![{_B64}=])|(?={_PIPED}))",
        # The `=` must end the run, as in the regex: `AuthenticationPackageName=NTLM`
        # (Windows logs are full of long names before `=`) is then no hit at all.
        anchor=(
            *(f"[{_B64}]{{20}}{pad}(?:[^{_B64}=]|$)" for pad in ("=", "==")),
            f"[{_B64}]{{20}}{_PIPED}",
        ),
        lookback=_B64,
        validator=_worth_decoding,
    ),
    Pattern(
        kind="base64_run",
        regex=f"{_DECODER}(?P<value>[{_B64}]{{20,8192}}+={{0,2}}+)(?![{_B64}=])",
        anchor=f"{_DECODER}[{_B64}]",
        validator=_worth_decoding,
    ),
)


# The escapes again, as patterns the scanner's engine finds in the same pass as the
# detectors' (a hit costs a Python call, a text without escapes nothing); their starts
# are exactly the ASCII part of :func:`triggers`. An escape contains no `\\` or `%` of
# its own, so finditer's matches are every match, and every anchor is fixed-width.
ESCAPES = (
    Pattern(kind="escape", regex=_JSON_ESCAPE, anchor=(r"\\u[0-9A-Fa-f]{4}", r"\\/")),
    Pattern(kind="escape", regex=_URL_ESCAPE, anchor=_URL_ESCAPE),
)


class View:
    """Text rewritten from ``source[start:end]``; :meth:`span` maps its offsets back.

    ``pieces`` are (view start, source start, source end, literal): a literal piece is
    copied character for character, any other piece is one edit (an escape, or a
    character NFKC changes) whose view characters all map to the whole edit.
    """

    __slots__ = ("_ends", "_literal", "_origins", "_starts", "text")

    def __init__(self, text: str, pieces: list[tuple[int, int, int, bool]]) -> None:
        self.text = text
        self._starts = [p[0] for p in pieces]
        self._origins = [p[1] for p in pieces]
        self._ends = [p[2] for p in pieces]
        self._literal = [p[3] for p in pieces]

    def _char(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._starts, offset) - 1
        if self._literal[index]:
            at = self._origins[index] + offset - self._starts[index]
            return at, at + 1
        return self._origins[index], self._ends[index]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The source span holding the view's characters ``[start, end)``."""
        return self._char(start)[0], self._char(end - 1)[1]


class _Base64View(View):
    """Decoded base64: view character i came from bytes [i*width, (i+1)*width), which
    came from the base64 characters of their 3-byte groups."""

    __slots__ = ("_origin", "_size", "_width")

    def __init__(self, text: str, origin: int, size: int, width: int) -> None:
        super().__init__(text, [(0, origin, origin + size, False)])
        self._origin, self._size, self._width = origin, size, width

    def span(self, start: int, end: int) -> tuple[int, int]:
        first, last = start * self._width, end * self._width
        return (
            self._origin + 4 * (first // 3),
            self._origin + min(self._size, 4 * ((last + 2) // 3)),
        )


class _Decoded(NamedTuple):
    text: str
    width: int  # bytes per character: 1 (ASCII) or 2 (UTF-16LE, PowerShell -enc)


def decoded_base64(value: str) -> _Decoded | None:
    """The text a base64 run encodes, when it is printable ASCII or UTF-16LE text."""
    core = value.rstrip("=")
    if len(core) % 4 == 1:
        return None
    try:
        raw = base64.b64decode(core + "=" * (-len(core) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    if _CONTROL.search(raw) is None:
        return _Decoded(raw.decode("ascii"), 1)
    if len(raw) % 2 == 0 and not any(raw[1::2]):
        text = raw.decode("utf-16-le")
        if _CONTROL_16.search(text) is None:
            return _Decoded(text, 2)
    return None


def base64_view(source: str, start: int, end: int) -> View | None:
    decoded = decoded_base64(source[start:end])
    if decoded is None:
        return None
    return _Base64View(decoded.text, start, end - start, decoded.width)


def edit_views(text: str, positions: list[int]) -> list[View]:
    """Views of the stretches of ``text`` around ``positions`` (from :func:`triggers`)."""
    windows: list[tuple[int, int]] = []
    for position in positions:
        if windows and position + _WINDOW <= windows[-1][1]:
            continue  # dense escapes: the current window already reaches past this one's
        start, end = _window(text, position)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    return [view for start, end in windows if (view := _edit_view(text, start, end))]


def triggers(text: str) -> list[int]:
    """Sorted positions of escapes and of characters NFKC changes or drops."""
    positions: list[int] = []
    if "\\" in text:
        positions.extend(m.start() for m in _JSON_TRIGGER.finditer(text))
    if "%" in text:
        positions.extend(m.start() for m in _URL_TRIGGER.finditer(text))
    positions.extend(unicode_triggers(text))
    positions.sort()
    return positions


def unicode_triggers(text: str) -> list[int]:
    """The positions :func:`triggers` gives for characters NFKC changes or drops (none
    in ASCII text), unsorted; the escapes' are found as :data:`ESCAPES`."""
    positions: list[int] = []
    if not text.isascii() and (
        not unicodedata.is_normalized("NFKC", text) or not _ZERO_WIDTH.isdisjoint(text)
    ):
        positions.extend(m.start() for m in _ALWAYS.finditer(text))
        for match in _SUSPECTS.finditer(text):  # one per run of such characters
            start, end = match.span()
            if (
                end - start >= 4 or _ALNUM_RUN.search(text, max(0, start - 3), end + 3)
            ) and unicodedata.normalize("NFKC", match.group()) != match.group():
                positions.append(start)
    return positions


def _changes(char: str) -> bool:
    return char in _ZERO_WIDTH or unicodedata.normalize("NFKC", char) != char


def _window(text: str, position: int) -> tuple[int, int]:
    """The line around ``position``, at most _WINDOW characters each side, widened to
    the nearest space so that a value near the edge is not cut. Every search is bounded,
    so a text of one long line with many escapes costs linear time."""
    reach = _WINDOW + _WIDEN
    low, high = max(0, position - reach), min(len(text), position + reach)
    newline = text.rfind("\n", low, position)
    line_start = newline + 1 if newline >= 0 else low
    newline = text.find("\n", position, high)
    line_end = newline if newline >= 0 else high
    start, end = max(line_start, position - _WINDOW), min(line_end, position + _WINDOW)
    if start > line_start:
        space = text.rfind(" ", max(line_start, start - _WIDEN), start)
        start = space + 1 if space >= 0 else max(line_start, start - _WIDEN)
    if end < line_end:
        space = text.find(" ", end, min(line_end, end + _WIDEN))
        end = space if space >= 0 else min(line_end, end + _WIDEN)
    return start, end


def _edit_view(text: str, start: int, end: int) -> View | None:
    parts: list[str] = []
    pieces: list[tuple[int, int, int, bool]] = []
    size = 0
    cursor = start
    edited = False
    for match in _EDIT.finditer(text, start, end):
        replacement = _replacement(match)
        if replacement is None:
            continue
        edited = True
        if match.start() > cursor:
            pieces.append((size, cursor, match.start(), True))
            parts.append(text[cursor : match.start()])
            size += match.start() - cursor
        # A run NFKC maps one character to one (full-width text) stays a literal piece:
        # its characters map one to one, whatever the run's length.
        one_to_one = match.lastgroup == "n" and len(replacement) == match.end() - match.start()
        if replacement:  # a dropped (zero-width) character leaves no piece
            pieces.append((size, match.start(), match.end(), one_to_one))
            parts.append(replacement)
            size += len(replacement)
        cursor = match.end()
    if not edited:
        return None
    if cursor < end:
        pieces.append((size, cursor, end, True))
        parts.append(text[cursor:end])
    return View("".join(parts), pieces)


def _replacement(match: re.Match[str]) -> str | None:
    """What an edit becomes in the view, or None to keep the characters as they are.
    Runs of up to 256 non-ASCII characters are normalised whole (`n`; mapped one to one
    when NFKC keeps their length, as for full-width text, else as one edit); zero-width
    characters go one at a time (`c`) and are dropped."""
    kind = match.lastgroup
    value = match.group(kind or 0)
    if kind == "u":
        char = chr(int(value, 16))
        if 0xD800 <= ord(char) <= 0xDFFF:
            return None  # half of a surrogate pair: not a character on its own
        return "" if char in _ZERO_WIDTH else unicodedata.normalize("NFKC", char)
    if kind == "j":
        return _JSON_ESCAPES[value]
    if kind == "p":
        return chr(int(value, 16))
    if kind == "n":
        normal = unicodedata.normalize("NFKC", value)
        return None if normal == value else normal
    if not _changes(value):
        return None
    return "" if value in _ZERO_WIDTH else unicodedata.normalize("NFKC", value)
