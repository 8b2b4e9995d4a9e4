"""The golden ledger: the same script writes the same bytes (see tests/governance/golden.py),
and its state tables are exactly what replaying its entries projects."""

from __future__ import annotations

import json
from pathlib import Path

from tests.governance.golden import GOLDEN, entry_lines, golden_run

from affidavit import canonical
from affidavit.governance.rebuild import replay_scratch, snapshot
from affidavit.ledger.events import event_class, parse_event


def test_the_script_writes_the_golden_entries_they_read_back_and_replay_to_the_tables(
    home: Path, database_url: str
) -> None:
    expected = GOLDEN.read_bytes().splitlines()
    with golden_run(home, database_url) as gov:
        written = entry_lines(gov)
        for seq, (got, want) in enumerate(zip(written, expected, strict=False)):
            assert got == want, (
                f"entry {seq} ({json.loads(want)['type']}) differs from the golden ledger:\n"
                f"  golden: {want.decode()}\n  now:    {got.decode()}\n"
                "A deliberate format change regenerates it: "
                "python -m tests.governance.golden --write"
            )
        assert len(written) == len(expected)
        for stored in gov.ledger.entries():  # every entry reads back as its event
            cls = event_class(stored.type)
            assert cls is not None, f"no event class for {stored.type}"
            if not cls.needs_payload_data:  # those are read back by the replay below
                event = parse_event(stored)
                assert event is not None and type(event).type == stored.type
                assert canonical.encode(event.body()) == canonical.encode(stored.body)
                assert (event.actor, event.case) == (stored.actor, stored.case)
        with gov.ledger.db.read() as conn:
            live = snapshot(conn)
        with replay_scratch(gov.ledger) as scratch:
            replayed = snapshot(scratch)
    assert sum(map(len, live.values())) > 100
    for table, rows in live.items():
        assert replayed[table] == rows, f"replaying the ledger gives other {table} rows"


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
        "evidence.item_opened",
        "evidence.viewed",
        "execution.finished",
        "execution.started",
        "friction.rubber_stamp_signalled",
        "identity.created",
        "identity.reactivated",
        "identity.retired",
        "identity.suspended",
        "identity.token_rotated",
        "payload.erased",
        "policy.published",
        "proposal.created",
        "proposal.withdrawn",
        "step.recorded",
        "token.revealed",
        # accountable administration
        "case.held",
        "case.released",
        "erasure.approved",
        "erasure.requested",
        "identity.owner_transferred",
        "incident.opened",
    } <= types
