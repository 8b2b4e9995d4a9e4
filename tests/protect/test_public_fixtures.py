"""Recall and precision on other projects' public test strings (issue 14).

tests/data/secrets/public_fixtures.jsonl holds test strings from the open-source secret
scanners detect-secrets (Apache-2.0) and gitleaks (MIT), copied with their source named
on each row (licences and commits in tests/data/SOURCES.md). Unlike our own corpus they
were written by people who did not write these detectors. A row with a ``value`` must
be covered, character for character, by one finding of ``kind``; a row without one
(their negatives, and values our documented template rule treats as placeholders; its
``note`` says why) must give no finding at all. Both engines are held to it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from affidavit.protect import Scanner

ROWS: list[dict[str, Any]] = [
    json.loads(line)
    for line in (Path(__file__).parents[1] / "data/secrets/public_fixtures.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
]
FOUND = [row for row in ROWS if row["value"] is not None]
IGNORED = [row for row in ROWS if row["value"] is None]


def _id(row: dict[str, Any]) -> str:
    return f"{row['source'].split('@')[0]}:{row['text'][:40]!r}"


def test_the_fixtures_name_their_source_and_cover_several_families() -> None:
    assert len(FOUND) >= 40 and len(IGNORED) >= 20
    assert all(
        row["source"].startswith(("Yelp/detect-secrets@", "gitleaks/gitleaks@")) for row in ROWS
    )
    assert all(row.get("note") for row in IGNORED)
    assert len({row["kind"] for row in FOUND}) >= 15


@pytest.mark.parametrize("row", FOUND, ids=_id)
def test_a_public_positive_is_found_whole(scanner: Scanner, row: dict[str, Any]) -> None:
    text, value = row["text"], row["value"]
    start = text.index(value)
    end = start + len(value)
    covering = [f for f in scanner.scan(text) if f.start <= start and end <= f.end]
    assert [f.kind for f in covering] == [row["kind"]], scanner.scan(text)


@pytest.mark.parametrize("row", IGNORED, ids=_id)
def test_a_public_negative_or_template_gives_no_finding(
    scanner: Scanner, row: dict[str, Any]
) -> None:
    assert scanner.scan(row["text"]) == [], row["note"]
