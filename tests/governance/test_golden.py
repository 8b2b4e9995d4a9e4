"""The golden ledger: the same script writes the same bytes (see tests/governance/golden.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.governance.golden import GOLDEN, build


def test_the_script_writes_the_golden_entries_byte_for_byte(home: Path, database_url: str) -> None:
    expected = GOLDEN.read_bytes().splitlines()
    written = build(home, database_url)
    for seq, (got, want) in enumerate(zip(written, expected, strict=False)):
        assert got == want, (
            f"entry {seq} ({json.loads(want)['type']}) differs from the golden ledger:\n"
            f"  golden: {want.decode()}\n  now:    {got.decode()}\n"
            "A deliberate format change regenerates it: python -m tests.governance.golden --write"
        )
    assert len(written) == len(expected)


def test_the_golden_ledger_holds_every_entry_type() -> None:
    types = {json.loads(line)["type"] for line in GOLDEN.read_bytes().splitlines()}
    assert {
        "alert.ingested",
        "approval.denied",
        "approval.granted",
        "assets.imported",
        "authorization.issued",
        "breakglass.invoked",
        "breakglass.reviewed",
        "case.opened",
        "disposition.recorded",
        "evidence.viewed",
        "execution.finished",
        "execution.started",
        "identity.created",
        "identity.reactivated",
        "identity.retired",
        "identity.suspended",
        "identity.token_rotated",
        "payload.erased",
        "policy.published",
        "proposal.created",
        "step.recorded",
        "token.revealed",
    } <= types
