"""Recall and precision on the real-format corpus (tests/data/secrets, see SOURCES.md):
secrets and personal data in the formats vendors document, in the contexts people paste
them in, and look-alikes that must give no finding. bench/protect.py reports the same
figures beside Presidio and detect-secrets."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from affidavit.protect import Finding, Scanner

CORPUS = Path(__file__).resolve().parents[1] / "data" / "secrets"
POSITIVES = [json.loads(line) for line in (CORPUS / "positives.jsonl").read_text().splitlines()]
NEGATIVES = [json.loads(line) for line in (CORPUS / "negatives.jsonl").read_text().splitlines()]


def covered(findings: list[Finding], start: int, end: int) -> bool:
    """Every character of the value lies inside some finding (a treatment hides it all)."""
    spans = sorted((f.start, f.end) for f in findings)
    at = start
    for first, last in spans:
        if first <= at < last:
            at = last
    return at >= end


def test_the_corpus_is_what_the_generator_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate", CORPUS / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    positives, negatives = generate.build()
    assert positives == POSITIVES
    assert negatives == NEGATIVES
    assert len(POSITIVES) >= 500
    assert all(p["text"][p["start"] : p["end"]] for p in POSITIVES)


def test_recall_is_at_least_97_percent_and_90_in_every_family(scanner: Scanner) -> None:
    planted, found = Counter(), Counter()
    missed = []
    for case in POSITIVES:
        planted[case["family"]] += 1
        if covered(scanner.scan(case["text"]), case["start"], case["end"]):
            found[case["family"]] += 1
        else:
            missed.append(case["text"][:80])
    assert sum(found.values()) / sum(planted.values()) >= 0.97, missed
    for family, count in planted.items():
        assert found[family] / count >= 0.90, (family, missed)


@pytest.mark.parametrize("case", NEGATIVES, ids=lambda c: f"{c['family']}:{c['text'][:30]!r}")
def test_look_alikes_give_no_finding(re_scanner: Scanner, case: dict[str, str]) -> None:
    assert re_scanner.scan(case["text"]) == []


def test_engines_agree_on_the_corpus(re_scanner: Scanner, hs_scanner: Scanner) -> None:
    for case in [*POSITIVES, *NEGATIVES]:
        assert hs_scanner.scan(case["text"]) == re_scanner.scan(case["text"]), case["text"]
