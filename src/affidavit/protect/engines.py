"""The two ways to find pattern matches, with identical results.

Both produce, per pattern, exactly what ``regex.finditer(text)`` produces: the leftmost
match, then the leftmost match starting at or after its end, and so on. The ``re``
engine runs ``finditer`` itself. The hyperscan engine scans the text once for every
pattern's *anchor* and tries ``regex.match`` only where an anchor hit says a match may
begin, in increasing order and skipping positions inside an earlier match. Since
``regex`` cannot match anywhere else (the anchor contract in ``detector.py``), that sweep
visits every position where ``finditer`` would find a match, and in the same order.

Hyperscan scans bytes; the text is encoded with every non-ASCII character mapped to the
single byte 0xFF. Offsets then stay character offsets, and since every pattern is ASCII
(``re.ASCII``), a non-ASCII character and 0xFF match the same things: negated classes
and ``.``, nothing else.
"""

from __future__ import annotations

import codecs
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from affidavit.errors import ConfigError
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


class _Anchor(NamedTuple):
    pattern: int  # index into the engine's patterns
    shrink: int  # the anchor's minimum width: a match starting at p ends at p + shrink or later
    lookback: frozenset[str] | None
    width: int  # the anchor's width when fixed (its start is then end - width), else -1


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
        self._anchors: list[_Anchor] = []
        expressions: list[bytes] = []
        flags: list[int] = []
        for index, compiled in enumerate(self._patterns):
            pattern = compiled.pattern
            run = _run_chars(pattern.lookback) if pattern.lookback else None
            for anchor in pattern.anchors:
                low, high = anchor_width(anchor, pattern.ignore_case)
                fixed = high is not None and low == high
                self._anchors.append(_Anchor(index, low, run, low if fixed else -1))
                expressions.append(anchor.encode("ascii"))
                # A fixed-width anchor's start is its end minus its width; only the others
                # need start-of-match tracking, which makes each hit dearer to report.
                flags.append(
                    (0 if fixed else hyperscan.HS_FLAG_SOM_LEFTMOST)
                    | (hyperscan.HS_FLAG_CASELESS if pattern.ignore_case else 0)
                )
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        if expressions:
            try:
                self._db.compile(
                    expressions=expressions, ids=list(range(len(expressions))), flags=flags
                )
            except hyperscan.error:
                raise ConfigError(self._compile_failure(expressions, flags)) from None
        self._local = threading.local()
        self._on_hit = _hit_collector(tuple(self._anchors))

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
        regions: list[tuple[int, int, int, int]] = []
        self._db.scan(
            data, match_event_handler=self._on_hit, context=regions, scratch=self._scratch()
        )
        if not regions:
            return []
        regions.sort()
        return self._sweep(text, regions)

    def _sweep(self, text: str, regions: list[tuple[int, int, int, int]]) -> list[Candidate]:
        found: list[Candidate] = []
        append = found.append
        patterns = self._patterns
        run_start = self._run_start
        current = -1
        match: Any = None
        group = 0
        validator: Validator | None = None
        slot = 0
        run = ""
        tried = 0  # every position below this was tried already, or lies inside a match
        cached = (-1, -1)  # (anchor start, its run start or -1), see _run_start
        for pattern_id, first, last, lookback in regions:
            if pattern_id != current:
                current = pattern_id
                regex, group, validator, slot, source = patterns[pattern_id]
                match = regex.match
                run = "".join(sorted(_run_chars(source.lookback))) if lookback else ""
                tried = 0
                cached = (-1, -1)
            if lookback:
                first = run_start(text, first, tried, run, cached)
                cached = (last, first)
                if first < tried:
                    continue  # the run began inside an earlier match or try
                last = first
            elif last < tried:
                continue
            position = first if first > tried else tried
            while position <= last:
                found_match = match(text, position)
                if found_match is None:
                    position += 1
                    continue
                value_start, value_end = found_match.span(group)
                if value_start < value_end and (
                    validator is None or validator(text[value_start:value_end])
                ):
                    append((value_start, value_end, slot))
                # An empty match (a badly written plugin regex) must still move on.
                end = found_match.end()
                position = end if end > position else position + 1
            tried = position
        return found

    @staticmethod
    def _run_start(
        text: str, anchor_start: int, tried: int, run: str, cached: tuple[int, int]
    ) -> int:
        """Start of the run of ``run`` characters ending at ``anchor_start``, or -1 when
        it begins before ``tried``. ``cached`` is the previous (anchor start, result) of
        this pattern: a walk that reaches it stops there, so no run is walked twice. The
        walk strips run characters off slices (C speed) rather than testing each one."""
        stop = cached[0] if cached[0] > tried else tried
        start = anchor_start
        while start > stop:
            low = stop if start - 64 < stop else start - 64
            kept = len(text[low:start].rstrip(run))
            if kept:
                return low + kept
            start = low
        if start == cached[0]:
            return cached[1]
        return start if start == 0 or text[start - 1] not in run else -1


def _hit_collector(anchors: tuple[_Anchor, ...]) -> Callable[[int, int, int, int, Any], None]:
    """The hyperscan match handler: one region (pattern, first, last, lookback) per anchor
    hit, meaning the regex may match from any position in [first, last]. For lookback
    anchors first = last = the anchor's start, resolved to the start of its run during
    the sweep. Fixed-width anchors are compiled without start-of-match tracking (hyperscan
    then reports a start of 0): they start ``width`` before their end. Runs once per hit,
    so it is a closure over plain tuples."""

    def on_hit(anchor_id: int, start: int, end: int, flags: int, regions: Any) -> None:
        pattern, shrink, lookback, width = anchors[anchor_id]
        if width >= 0:
            start = end - width
        if lookback is None:
            regions.append((pattern, start, end - shrink, 0))
        else:
            regions.append((pattern, start, start, 1))

    return on_hit


def _run_chars(char_class: str) -> frozenset[str]:
    """The ASCII characters of a class (non-ASCII never extends a run: see the module doc)."""
    chars = _RUN_CACHE.get(char_class)
    if chars is None:
        pattern = re.compile(f"[{char_class}]", re.ASCII)
        chars = frozenset(c for c in map(chr, range(128)) if pattern.fullmatch(c))
        _RUN_CACHE[char_class] = chars
    return chars


_RUN_CACHE: dict[str, frozenset[str]] = {}
