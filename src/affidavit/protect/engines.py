"""The two ways to find pattern matches, with identical results.

Both produce, per pattern, exactly what ``regex.finditer(text)`` produces: the leftmost
match, then the leftmost match starting at or after its end, and so on. The ``re``
engine runs ``finditer`` itself. The hyperscan engine scans the text once for every
pattern's *anchor* and tries ``regex.match`` only where an anchor hit says a match may
begin, in increasing order and skipping positions inside an earlier match. Since
``regex`` cannot match anywhere else (the anchor contract in ``detector.py``), that sweep
visits every position where ``finditer`` would find a match, and in the same order
(the hits' collection and the sweep are in ``_sweep.py``).

Hyperscan scans bytes; the text is encoded with every non-ASCII character mapped to the
single byte 0xFF. Offsets then stay character offsets, and since every pattern is ASCII
(``re.ASCII``), a non-ASCII character and 0xFF match the same things: negated classes
and ``.``, nothing else.
"""

from __future__ import annotations

import codecs
import re
import threading
from collections.abc import Sequence
from typing import Any, NamedTuple

from affidavit.errors import ConfigError
from affidavit.protect._sweep import (
    SHIFT,
    STEP,
    Anchor,
    Region,
    hit_collector,
    sweep_points,
    sweep_regions,
)
from affidavit.protect.detector import Pattern, Validator, anchor_width

__all__ = ["Compiled", "HyperscanEngine", "ReEngine", "hyperscan_available"]

# (start, end, slot): a validated span and the (kind, detector) slot it belongs to.
Candidate = tuple[int, int, int]

_NON_ASCII = "affidavit.protect.non_ascii"


def _one_byte_each(error: UnicodeError) -> tuple[bytes, int]:
    assert isinstance(error, UnicodeEncodeError)
    return b"\xff" * (error.end - error.start), error.end


codecs.register_error(_NON_ASCII, _one_byte_each)


class Compiled(NamedTuple):
    regex: re.Pattern[str]
    group: int  # the `value` group's index, or 0 for the whole match
    validator: Validator | None
    slot: int
    pattern: Pattern


def compile_pattern(pattern: Pattern, slot: int) -> Compiled:
    regex = pattern.compile()
    return Compiled(regex, regex.groupindex.get("value", 0), pattern.validator, slot, pattern)


class ReEngine:
    name = "re"

    def __init__(self, patterns: Sequence[Compiled]) -> None:
        self._patterns = tuple(patterns)

    def candidates(self, text: str) -> list[Candidate]:
        found: list[Candidate] = []
        append = found.append
        for regex, group, validator, slot, _ in self._patterns:
            for match in regex.finditer(text):
                start, end = match.span(group)
                # A value group that did not take part spans (-1, -1): skipped.
                if start < end and (validator is None or validator(text[start:end])):
                    append((start, end, slot))
        return found


def hyperscan_available() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


class HyperscanEngine:
    name = "hyperscan"

    def __init__(self, patterns: Sequence[Compiled]) -> None:
        try:
            import hyperscan
        except ImportError:
            raise ConfigError(
                "The hyperscan engine was requested but hyperscan is not installed; "
                "pip install hyperscan, or use engine='re'."
            ) from None
        self._hs = hyperscan
        self._patterns = tuple(patterns)
        self._matchers = tuple((c.regex.match, c.group, c.validator, c.slot) for c in patterns)
        self._runs = tuple(
            "".join(sorted(_run_chars(c.pattern.lookback))) if c.pattern.lookback else None
            for c in patterns
        )
        self._anchors: list[Anchor] = []
        # A *point* pattern (every anchor fixed-width, no lookback) may match only where
        # an anchor hit starts: its hits are plain ints (see _sweep.py).
        points: list[int | None] = []
        expressions: list[bytes] = []
        flags: list[int] = []
        for index, compiled in enumerate(self._patterns):
            pattern = compiled.pattern
            lookback = bool(pattern.lookback)
            widths = [anchor_width(anchor, pattern.ignore_case) for anchor in pattern.anchors]
            point = not lookback and all(low == high for low, high in widths)
            for anchor, (low, high) in zip(pattern.anchors, widths, strict=True):
                fixed = high is not None and low == high
                self._anchors.append(Anchor(index, low, lookback, low if fixed else -1))
                points.append((index << SHIFT) - low if point else None)
                expressions.append(anchor.encode("ascii"))
                # A fixed-width anchor's start is its end minus its width; only the others
                # need start-of-match tracking, which makes each hit dearer to report.
                flags.append(
                    (0 if fixed else hyperscan.HS_FLAG_SOM_LEFTMOST)
                    | (hyperscan.HS_FLAG_CASELESS if pattern.ignore_case else 0)
                )
        self._points = tuple(points)
        self._no_points: tuple[int | None, ...] = (None,) * len(points)
        self._point_limit = STEP  # texts this long or longer: every hit is a region
        self._anchor_table = tuple(self._anchors)
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        if expressions:
            try:
                self._db.compile(
                    expressions=expressions, ids=list(range(len(expressions))), flags=flags
                )
            except hyperscan.error:
                raise ConfigError(self._compile_failure(expressions, flags)) from None
        self._local = threading.local()

    def _compile_failure(self, expressions: list[bytes], flags: list[int]) -> str:
        """Name the anchor hyperscan rejected (it only says that one failed)."""
        for anchor, expression, flag in zip(self._anchors, expressions, flags, strict=True):
            try:
                self._hs.Database().compile(expressions=[expression], ids=[0], flags=[flag])
            except self._hs.error as exc:
                kind = self._patterns[anchor.pattern].pattern.kind
                reason = str(exc).rstrip(".")
                return f"Hyperscan rejects the anchor {expression.decode()!r} for {kind}: {reason}."
        return "Hyperscan could not compile the detector anchors together."

    def _scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._hs.Scratch(self._db)
            self._local.scratch = scratch
        return scratch

    def candidates(self, text: str) -> list[Candidate]:
        if not self._anchors:
            return []
        data = text.encode("ascii") if text.isascii() else text.encode("ascii", _NON_ASCII)
        points: list[int] = []
        regions: list[Region] = []
        table = self._points if len(text) < self._point_limit else self._no_points
        on_hit = hit_collector(table, self._anchor_table, points.append, regions.append)
        self._db.scan(data, match_event_handler=on_hit, scratch=self._scratch())
        found: list[Candidate] = []
        if points:
            points.sort()
            sweep_points(text, points, self._matchers, found)
        if regions:
            regions.sort()
            sweep_regions(text, regions, self._matchers, self._runs, found)
        return found


def _run_chars(char_class: str) -> frozenset[str]:
    """The ASCII characters of a class (non-ASCII never extends a run: see the module doc)."""
    chars = _RUN_CACHE.get(char_class)
    if chars is None:
        pattern = re.compile(f"[{char_class}]", re.ASCII)
        chars = frozenset(c for c in map(chr, range(128)) if pattern.fullmatch(c))
        _RUN_CACHE[char_class] = chars
    return chars


_RUN_CACHE: dict[str, frozenset[str]] = {}
