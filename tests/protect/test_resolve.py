from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from affidavit.protect.resolve import resolve_overlaps

# slot: 0 = generic (priority 1), 1 = specific (priority 9), 2 = another priority-1 kind
_PRIORITY = [1, 9, 1]
_NAME = ["generic", "specific", "another"]


def test_non_overlapping_candidates_pass_through_sorted() -> None:
    assert resolve_overlaps([(5, 9, 0), (0, 3, 1)], _PRIORITY, _NAME) == [(0, 3, 1), (5, 9, 0)]


def test_higher_priority_wins_even_when_shorter() -> None:
    assert resolve_overlaps([(0, 20, 0), (5, 9, 1)], _PRIORITY, _NAME) == [(5, 9, 1)]


def test_equal_priority_longer_wins_then_earlier_then_name() -> None:
    assert resolve_overlaps([(0, 5, 0), (2, 12, 2)], _PRIORITY, _NAME) == [(2, 12, 2)]
    assert resolve_overlaps([(0, 5, 0), (3, 8, 0)], _PRIORITY, _NAME) == [(0, 5, 0)]
    assert resolve_overlaps([(0, 5, 0), (0, 5, 2)], _PRIORITY, _NAME) == [(0, 5, 2)]


def test_losers_are_dropped_whole_and_non_overlapping_neighbours_kept() -> None:
    # specific (4, 6) beats generic (0, 10); (8, 12) overlaps the dropped loser only.
    result = resolve_overlaps([(0, 10, 0), (4, 6, 1), (8, 12, 2)], _PRIORITY, _NAME)
    assert result == [(4, 6, 1), (8, 12, 2)]


def test_duplicates_collapse() -> None:
    assert resolve_overlaps([(1, 4, 0), (1, 4, 0)], _PRIORITY, _NAME) == [(1, 4, 0)]


@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.integers(1, 15), st.integers(0, 2)).map(
            lambda t: (t[0], t[0] + t[1], t[2])
        ),
        max_size=40,
    )
)
def test_result_is_sorted_disjoint_and_order_independent(
    candidates: list[tuple[int, int, int]],
) -> None:
    result = resolve_overlaps(list(candidates), _PRIORITY, _NAME)
    assert result == resolve_overlaps(list(reversed(candidates)), _PRIORITY, _NAME)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(result))
    assert set(result) <= set(candidates)
    # Every dropped candidate overlaps a kept one that ranks at least as high.
    for start, end, slot in set(candidates) - set(result):
        assert any(s < end and start < e and _PRIORITY[k] >= _PRIORITY[slot] for s, e, k in result)
