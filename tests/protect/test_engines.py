"""The hyperscan fast path and the pure-`re` fallback give identical findings, and the
findings always satisfy the scanner's invariants."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affidavit.protect import Finding, Scanner
from affidavit.samples.secrets import DECOYS, SAMPLERS
from tests.protect._cases import NEGATIVE, POSITIVE

_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _generated_corpus(seed: int = 20240501, rounds: int = 12) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(rounds):
        texts.extend(sampler(rng).text for sampler in SAMPLERS.values())
        texts.extend(decoy(rng) for decoy in DECOYS)
    return texts


CORPUS = (
    [text for _, text, _ in POSITIVE]
    + [text for _, text in NEGATIVE]
    + _generated_corpus()
    + [
        "\n".join(text for _, text, _ in POSITIVE),  # every case at once: no interference
        "".join(text for _, text in NEGATIVE),
        "caf\u00e9 \ud800 10.0.0.1 \U0001f600 jane@example.com \udfff",
        "\u00e9\u00e9 AKIAIOSFODNN7EXAMPLE \u0663\u0663\u0663-\u0662\u0662-\u0661\u0661\u0661\u0661",
    ]
)


def _check_invariants(text: str, findings: list[Finding]) -> None:
    previous_end = 0
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text)
        assert finding.start >= previous_end, "findings overlap or are out of order"
        previous_end = finding.end


def test_engines_agree_on_the_whole_test_corpus(re_scanner: Scanner, hs_scanner: Scanner) -> None:
    assert hs_scanner.engine == "hyperscan" and re_scanner.engine == "re"
    for text in CORPUS:
        expected = re_scanner.scan(text)
        assert hs_scanner.scan(text) == expected, text
        _check_invariants(text, expected)


_FILLER = ["alert", "process", "blocked", "severity", "high", "event", "rule", "matched", "ok"]
_GLUE = ["", " ", "\n", "\t", "=", ":", "\\", "@", ".", "/", '"', "'", "-", "_", ",", "\u00e9"]


@st.composite
def _soc_text(draw: st.DrawFn) -> str:
    """Planted values, decoys, filler and arbitrary text, glued together in every way."""
    piece = st.one_of(
        st.sampled_from(_FILLER),
        st.builds(
            lambda kind, seed: SAMPLERS[kind](random.Random(seed)).text,
            st.sampled_from(sorted(SAMPLERS)),
            st.integers(0, 2**32),
        ),
        st.integers(0, 2**32).map(lambda seed: DECOYS[seed % len(DECOYS)](random.Random(seed))),
        st.text(alphabet=st.characters(exclude_categories=()), max_size=12),
        st.text(alphabet="AKIZaz019.-:@/\\ \n_=\"'+#%", max_size=30),
    )
    pieces = draw(st.lists(piece, max_size=10))
    glue = draw(st.lists(st.sampled_from(_GLUE), min_size=len(pieces), max_size=len(pieces)))
    return "".join(p + g for p, g in zip(pieces, glue, strict=True))


@_SETTINGS
@given(text=_soc_text())
def test_engines_agree_on_generated_text(
    re_scanner: Scanner, hs_scanner: Scanner, text: str
) -> None:
    expected = re_scanner.scan(text)
    assert hs_scanner.scan(text) == expected
    _check_invariants(text, expected)


@_SETTINGS
@given(text=st.text(alphabet=st.characters(exclude_categories=()), max_size=200))
def test_any_text_gives_sorted_in_bounds_non_overlapping_findings(
    re_scanner: Scanner, hs_scanner: Scanner, text: str
) -> None:
    # Any text: escapes, full-width and zero-width characters take the views path too.
    expected = re_scanner.scan(text)
    assert hs_scanner.scan(text) == expected
    _check_invariants(text, expected)


@_SETTINGS
@given(
    plants=st.lists(
        st.tuples(st.sampled_from(sorted(SAMPLERS)), st.integers(0, 2**32)),
        min_size=1,
        max_size=8,
    ),
    filler=st.lists(st.sampled_from(_FILLER), min_size=1, max_size=8),
)
def test_planted_values_are_found_at_their_planted_spans(
    scanner: Scanner, plants: list[tuple[str, int]], filler: list[str]
) -> None:
    parts: list[str] = []
    planted: list[tuple[str, int, int]] = []
    offset = 0
    for index, (kind, seed) in enumerate(plants):
        words = " ".join(filler[: index % len(filler) + 1]) + " \n "
        sample = SAMPLERS[kind](random.Random(seed))
        parts.extend([words, sample.text, " \n "])
        offset += len(words)
        planted.append((kind, offset + sample.start, offset + sample.end))
        offset += len(sample.text) + 3
    text = "".join(parts)
    found = {(f.kind, f.start, f.end) for f in scanner.scan(text)}
    assert set(planted) <= found


def test_offsets_are_characters_not_bytes(scanner: Scanner) -> None:
    text = "\u00e9\u00e9\U0001f600 \ud800 ip 10.1.2.3"
    (finding,) = scanner.scan(text)
    assert finding.value(text) == "10.1.2.3"
    assert finding.start == text.index("10.1.2.3")


def test_fixed_width_anchors_report_where_the_value_starts(hs_scanner: Scanner) -> None:
    # Fixed-width anchors are compiled without start-of-match tracking: their start is
    # computed from the end. A value at the very start and one after a prefix of the
    # same characters must both be found where they begin.
    key = "AKIAQ3EGRSP5XXKUZTFD"
    for text in (key, f"AKIA{key} {key}", f"x {key}\n{key}"):
        ours = [(f.kind, f.start, f.end) for f in hs_scanner.scan(text)]
        assert ours == [(f.kind, f.start, f.end) for f in Scanner(engine="re").scan(text)]
        assert ("aws_access_key_id", text.rindex(key), len(text)) in ours
