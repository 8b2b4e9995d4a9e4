"""Overlap resolution: every character belongs to at most one finding.

Rule, applied to each group of mutually overlapping candidates: the candidate whose kind
has the higher priority wins (specific beats generic: a private key over the JWT-looking
text inside it, a UPN over the e-mail it is, an e-mail over the host name in it); on a
tie the longer span wins, then the earlier start, then the kind name alphabetically.
Winners are taken in that order; a candidate that overlaps one already taken is dropped
whole (never trimmed). Identical spans of one kind found by two patterns collapse to one.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

__all__ = ["resolve_overlaps"]

Candidate = tuple[int, int, int]


def resolve_overlaps(
    candidates: list[Candidate], priority: Sequence[int], name: Sequence[str]
) -> list[Candidate]:
    """Non-overlapping candidates sorted by start; ``priority``/``name`` are per slot."""
    if not candidates:
        return []
    candidates.sort()
    resolved: list[Candidate] = []
    append = resolved.append
    pending = candidates[0]  # the first candidate of the current group
    group: list[Candidate] | None = None  # the whole group, once a second one joins
    group_end = pending[1]
    for candidate in itertools.islice(candidates, 1, None):
        start, end, _ = candidate
        if start < group_end:
            if group is None:
                group = [pending, candidate]
            else:
                group.append(candidate)
            if end > group_end:
                group_end = end
            continue
        if group is None:  # the usual case: nothing overlapped
            append(pending)
        else:
            resolved.extend(_resolve_group(group, priority, name))
            group = None
        pending, group_end = candidate, end
    if group is None:
        append(pending)
    else:
        resolved.extend(_resolve_group(group, priority, name))
    return resolved


def _resolve_group(
    group: list[Candidate], priority: Sequence[int], name: Sequence[str]
) -> list[Candidate]:
    ranked = sorted(group, key=lambda c: (-priority[c[2]], c[0] - c[1], c[0], name[c[2]]))
    taken: list[Candidate] = []
    for candidate in ranked:
        start, end, _ = candidate
        if all(end <= other[0] or start >= other[1] for other in taken):
            taken.append(candidate)
    taken.sort()
    return taken
