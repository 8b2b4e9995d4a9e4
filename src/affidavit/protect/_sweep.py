"""The hyperscan engine's Python half: collecting anchor hits, then sweeping them.

Each hit says where a pattern's regex may match. The sweep tries ``regex.match`` there,
per pattern in increasing position and skipping positions inside an earlier match, which
reproduces ``finditer`` (see ``engines.py``). Hits come in three shapes, each swept by
its own loop so that no hit pays for the others' cases:

* a *point* hit (a pattern whose anchors are all fixed-width, without lookback): the
  regex may match only where the anchor starts. One int, ``pattern << SHIFT | start``:
  one sort of ints orders them by pattern, then position.
* a *range* hit ``(pattern, first, last)``: an anchor of variable width, tracked from
  its leftmost start; the regex may match anywhere in ``[first, last]``.
* a *lookback* hit ``(pattern, anchor start)``: the match begins at the start of the run
  of lookback characters that ends where the anchor starts (see ``detector.py``).

Range and lookback hits share one list (a pattern has one shape, so tuples of different
lengths are never compared on their second item).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from affidavit.protect.detector import Validator

__all__ = ["SHIFT", "STEP", "Anchor", "hit_collector", "sweep_points", "sweep_regions"]

Candidate = tuple[int, int, int]
Region = tuple[int, ...]  # (pattern, first, last) or (pattern, anchor start)
# What the sweep needs of a pattern: (regex.match, value group, validator, slot).
Matcher = tuple[Callable[[str, int], Any], int, Validator | None, int]

# A point hit is one int: its pattern's index shifted past any position in a text
# (texts of STEP characters or more, far past the default limit, use regions only).
SHIFT = 32
STEP = 1 << SHIFT


class Anchor(NamedTuple):
    pattern: int  # index into the engine's patterns
    shrink: int  # the anchor's minimum width: a match starting at p ends at p + shrink or later
    lookback: bool
    width: int  # the anchor's width when fixed (its start is then end - width), else -1


def hit_collector(
    points: Sequence[int | None],
    anchors: Sequence[Anchor],
    add_point: Callable[[int], None],
    add_region: Callable[[Region], None],
) -> Callable[[int, int, int, int, Any], None]:
    """The hyperscan match handler for one scan. ``points[anchor]`` is, for an anchor of
    a point pattern, ``pattern << SHIFT`` minus the anchor's width (so that adding the
    hit's end gives the point), else None. Fixed-width anchors are compiled without
    start-of-match tracking (hyperscan then reports a start of 0): they start ``width``
    before their end. Runs once per hit: a closure over plain tuples and bound appends."""

    def on_hit(anchor_id: int, start: int, end: int, flags: int, context: Any) -> None:
        offset = points[anchor_id]
        if offset is not None:
            add_point(offset + end)
            return
        pattern, shrink, lookback, width = anchors[anchor_id]
        if width >= 0:
            start = end - width
        if lookback:
            add_region((pattern, start))
        else:
            add_region((pattern, start, end - shrink))

    return on_hit


def sweep_points(
    text: str, points: list[int], matchers: Sequence[Matcher], found: list[Candidate]
) -> None:
    """Candidates from sorted point hits, appended to ``found``."""
    append = found.append
    index, total = 0, len(points)
    while index < total:
        pattern_id = points[index] >> SHIFT
        base = pattern_id << SHIFT
        following = bisect.bisect_left(points, base + STEP, index)
        match, group, validator, slot = matchers[pattern_id]
        tried = 0  # every position below this was tried already, or lies inside a match
        for key in points[index:following]:
            position = key - base
            if position < tried:
                continue
            found_match = match(text, position)
            if found_match is None:
                tried = position + 1
                continue
            value_start, value_end = found_match.span(group)
            end = found_match.end() if group else value_end
            # A value group that did not take part spans (-1, -1): skipped.
            if value_start < value_end and (
                validator is None or validator(text[value_start:value_end])
            ):
                append((value_start, value_end, slot))
            # An empty match (a badly written plugin regex) must still move on.
            tried = end if end > position else position + 1
        index = following


def sweep_regions(
    text: str,
    regions: list[Region],
    matchers: Sequence[Matcher],
    runs: Sequence[str | None],
    found: list[Candidate],
) -> None:
    """Candidates from sorted range and lookback hits; ``runs[pattern]`` is the
    pattern's lookback characters, or None."""
    index, total = 0, len(regions)
    while index < total:
        pattern_id = regions[index][0]
        following = bisect.bisect_left(regions, (pattern_id + 1,), index)
        run = runs[pattern_id]
        if run is None:
            _ranges(text, regions[index:following], matchers[pattern_id], found)
        else:
            _lookbacks(text, regions[index:following], matchers[pattern_id], run, found)
        index = following


def _ranges(text: str, regions: list[Region], matcher: Matcher, found: list[Candidate]) -> None:
    append = found.append
    match, group, validator, slot = matcher
    tried = 0
    for _, first, last in regions:
        if last < tried:
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
            end = found_match.end()
            position = end if end > position else position + 1
        tried = position


def _lookbacks(
    text: str, regions: list[Region], matcher: Matcher, run: str, found: list[Candidate]
) -> None:
    append = found.append
    match, group, validator, slot = matcher
    tried = 0
    cached = (-1, -1)  # (anchor start, its run start or -1), see run_start
    for _, anchor_start in regions:
        first = run_start(text, anchor_start, tried, run, cached)
        cached = (anchor_start, first)
        if first < tried:
            continue  # the run began inside an earlier match or try
        found_match = match(text, first)
        if found_match is None:
            tried = first + 1
            continue
        value_start, value_end = found_match.span(group)
        if value_start < value_end and (
            validator is None or validator(text[value_start:value_end])
        ):
            append((value_start, value_end, slot))
        end = found_match.end()
        tried = end if end > first else first + 1


def run_start(text: str, anchor_start: int, tried: int, run: str, cached: tuple[int, int]) -> int:
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
