"""Every shortcut of the scan-speed work gives what the slow path it skips gives: the
entropy bounds, the distinct-character count shared by the secret checks, the filler
quick reject, the escape triggers found by the engine, the point sweep and the overlap
resolution loop. Each is checked against the plain computation it replaced."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affidavit.protect import ScanConfig, Scanner
from affidavit.protect._views import triggers, unicode_triggers
from affidavit.protect.detectors._build import secret_like
from affidavit.protect.resolve import _resolve_group, resolve_overlaps
from affidavit.protect.validators import (
    _FILLER_RUN,
    _PLACEHOLDER,
    char_classes,
    entropy_at_least,
    is_placeholder,
    placeholder_token,
    shannon_entropy,
)
from tests.protect.test_engines import CORPUS

_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Few distinct characters make the bounds' undecided middle and the filler cases likely;
# the non-ASCII ones exercise the views' triggers and case mapping.
_FEW = st.text(alphabet="aAb0x*._-\\%/u2F", max_size=40)
_TOKENS = st.text(
    alphabet=st.sampled_from("abcdefXYZ0123456789+/=_-.*x#<>${}@%\\u\u00e9\u200b\uff21\uff10"),
    max_size=70,
)
_VALUES = st.one_of(_FEW, _TOKENS, st.text(max_size=30))
_THRESHOLDS = st.one_of(st.floats(0, 8, allow_nan=False), st.sampled_from([0.0, 1.0, 3.0, 8.0]))


@given(_VALUES, _THRESHOLDS)
def test_entropy_bounds_decide_as_the_entropy_does(value: str, threshold: float) -> None:
    expected = shannon_entropy(value) >= threshold
    assert entropy_at_least(value, threshold) is expected
    assert entropy_at_least(value, threshold, len(set(value))) is expected


@given(_VALUES)
def test_entropy_bounds_hold_at_the_value_s_own_entropy(value: str) -> None:
    # The hardest thresholds: the entropy itself and its float neighbours.
    entropy = shannon_entropy(value)
    for threshold in (entropy, entropy + 1e-12, max(0.0, entropy - 1e-12)):
        assert entropy_at_least(value, threshold) is (entropy >= threshold)


def _slow_filler(value: str) -> bool:
    return len(value) >= 8 and (_FILLER_RUN.search(value) is not None or len(set(value)) <= 4)


def _slow_is_placeholder(value: str) -> bool:
    return _PLACEHOLDER.fullmatch(value) is not None or _slow_filler(value)


def _slow_placeholder_token(value: str) -> bool:
    if _slow_filler(value):
        return True
    if "<" in value or ">" in value or "${" in value or "{{" in value:
        return True
    lowered = value.lower()
    words = ("your", "example_", "_here", "placeholder", "redacted")
    return any(word in lowered for word in words)


@given(_VALUES)
def test_placeholder_checks_with_the_quick_reject_agree_with_the_plain_ones(value: str) -> None:
    assert is_placeholder(value) is _slow_is_placeholder(value)
    assert is_placeholder(value, len(set(value))) is _slow_is_placeholder(value)
    assert placeholder_token(value) is _slow_placeholder_token(value)


def test_the_quick_reject_still_sees_filler_past_the_first_eight() -> None:
    # Four distinct characters in the first eight and a fifth later: no filler; four
    # throughout: filler (the quick reject must not decide either).
    assert is_placeholder("abababab")
    assert is_placeholder("abcdabcdabcd")
    assert not is_placeholder("abcdabcdabce")


@given(_VALUES, st.sampled_from([0.0, 2.5, 3.0, 3.5, 4.5]), st.sampled_from([1, 12, 16]))
def test_secret_like_agrees_with_the_plain_checks(
    value: str, min_entropy: float, min_length: int
) -> None:
    expected = (
        min_length <= len(value) <= 512
        and char_classes(value) >= 2
        and shannon_entropy(value) >= min_entropy
        and not _slow_is_placeholder(value)
    )
    assert secret_like(min_entropy, min_length=min_length)(value) is expected


# The escapes the engine finds (JSON \uXXXX and \/, URL %XX) plus the non-ASCII triggers
# are the triggers the views were built from before.
_ESCAPY = st.text(alphabet="\\u/%2F7e0aAfZ \n\u00e9\u200b\uff21\uff20\u2460", max_size=60)


def _engine_triggers(scanner: Scanner, text: str) -> list[int]:
    escape_slot = scanner._escape_slot
    found = [c[0] for c in scanner._engine.candidates(text) if c[2] == escape_slot]
    return sorted(found + unicode_triggers(text))


@_SETTINGS
@given(_ESCAPY)
def test_triggers_found_by_either_engine_are_the_plain_triggers(
    scanner: Scanner, text: str
) -> None:
    assert _engine_triggers(scanner, text) == triggers(text)


def test_triggers_on_the_whole_test_corpus(scanner: Scanner) -> None:
    for text in CORPUS:
        assert _engine_triggers(scanner, text) == triggers(text), text


def test_escape_hits_never_become_findings(scanner: Scanner) -> None:
    text = "path C:\\/tmp %2F%41 \\u0041\\u00e9 and nothing else"
    assert scanner.scan(text) == []
    assert Scanner(ScanConfig(undo_evasions=False), engine=scanner.engine).scan(text) == []


@pytest.fixture(scope="module")
def regions_only(hs_scanner: Scanner) -> Scanner:
    """A hyperscan scanner whose point hits all go the region way (as for texts of 2**32
    characters or more)."""
    scanner = Scanner(engine="hyperscan")
    scanner._engine._point_limit = 0  # type: ignore[union-attr]
    return scanner


def test_point_hits_and_region_hits_give_the_same_findings(
    hs_scanner: Scanner, regions_only: Scanner
) -> None:
    for text in CORPUS:
        assert regions_only.scan(text) == hs_scanner.scan(text), text


def test_both_sweeps_give_finditer_s_candidates(
    re_scanner: Scanner, hs_scanner: Scanner, regions_only: Scanner
) -> None:
    # Below the findings: every pattern's candidates, before overlaps are resolved.
    for text in CORPUS:
        expected = sorted(re_scanner._engine.candidates(text))
        assert sorted(hs_scanner._engine.candidates(text)) == expected, text
        assert sorted(regions_only._engine.candidates(text)) == expected, text


@_SETTINGS
@given(st.lists(st.sampled_from(CORPUS[:60]), min_size=1, max_size=4), st.sampled_from(" \n,;"))
def test_point_hits_and_region_hits_agree_on_joined_texts(
    hs_scanner: Scanner, regions_only: Scanner, texts: list[str], glue: str
) -> None:
    text = glue.join(texts)
    assert regions_only.scan(text) == hs_scanner.scan(text)


def _slow_resolve(
    candidates: list[tuple[int, int, int]], priority: list[int], name: list[str]
) -> list[tuple[int, int, int]]:
    """resolve_overlaps as it was: an index walk over each group."""
    if not candidates:
        return []
    candidates = sorted(candidates)
    resolved: list[tuple[int, int, int]] = []
    index, total = 0, len(candidates)
    while index < total:
        group_end = candidates[index][1]
        following = index + 1
        while following < total and candidates[following][0] < group_end:
            group_end = max(group_end, candidates[following][1])
            following += 1
        if following == index + 1:
            resolved.append(candidates[index])
        else:
            resolved.extend(_resolve_group(candidates[index:following], priority, name))
        index = following
    return resolved


_SPANS = st.tuples(st.integers(0, 60), st.integers(1, 12), st.integers(0, 4)).map(
    lambda t: (t[0], t[0] + t[1], t[2])
)


@given(st.lists(_SPANS, max_size=30))
def test_the_resolution_loop_resolves_as_before(spans: list[tuple[int, int, int]]) -> None:
    priority, name = [10, 50, 50, 90, 10], ["a", "b", "c", "d", "e"]
    assert resolve_overlaps(list(spans), priority, name) == _slow_resolve(spans, priority, name)


def test_entropy_bounds_reject_a_padded_value_and_accept_a_random_one() -> None:
    assert not entropy_at_least("aaaaaaaaaaaaaaab", 3.0)
    assert entropy_at_least("Zq8vN2xK7pL4mR9tW3yB", 3.0)
