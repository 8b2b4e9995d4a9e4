"""The conformance table of docs/alerts.md against the samples the tests read: every
built-in format has a row, every row claims at least three real-shaped samples, and
the rows of one normaliser claim exactly the alerts in its `tests/data/alerts/shapes/`
folder (issue 14: "tested against at least three real-shaped samples each")."""

from __future__ import annotations

import re
from collections import Counter

from affidavit.intake import BUILTIN_NORMALIZERS, read_alerts
from tests.conftest import REPO

from ._shared import shapes_dir

# The vendor column's first words, per normaliser.
_ROW_PREFIXES = {
    "Defender": "microsoft_defender",
    "CrowdStrike": "crowdstrike_falcon",
    "AWS GuardDuty": "aws_guardduty",
    "Google SCC": "google_scc",
    "Falco": "falco",
    "Okta": "okta",
    "OCSF": "ocsf_detection_finding",
    "Microsoft Sentinel": "microsoft_sentinel",
    "Elastic Security": "elastic_security",
    "Splunk ES": "splunk_es",
    "SentinelOne": "sentinelone",
    "Wiz": "wiz",
}


def _rows() -> list[tuple[str, int]]:
    """(normaliser, real-shaped samples claimed) per row of the conformance table."""
    text = (REPO / "docs" / "alerts.md").read_text(encoding="utf-8")
    table = text.split("## Conformance", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 9 or cells[0] in ("vendor / format", "---"):
            continue
        (normaliser,) = [n for p, n in _ROW_PREFIXES.items() if cells[0].startswith(p)]
        samples = re.match(r"(\d+)", cells[8])
        assert samples, line
        rows.append((normaliser, int(samples.group(1))))
    return rows


def test_every_format_has_a_row_with_three_or_more_samples() -> None:
    rows = _rows()
    assert {n for n, _ in rows} == {n.name for n in BUILTIN_NORMALIZERS}
    assert all(count >= 3 for _, count in rows), rows


def test_the_rows_claim_the_alerts_in_the_shapes_folders() -> None:
    claimed: Counter[str] = Counter()
    for normaliser, count in _rows():
        claimed[normaliser] += count
    held = Counter(
        {
            folder.name: sum(
                len(list(read_alerts(path.read_bytes())))
                for path in folder.iterdir()
                if path.suffix in (".json", ".jsonl")
            )
            for folder in shapes_dir().iterdir()
            if folder.is_dir()
        }
    )
    assert claimed == held
