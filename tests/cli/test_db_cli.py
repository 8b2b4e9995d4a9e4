"""``affidavit db rebuild``: every state table rebuilt from the ledger, in place, verified."""

from __future__ import annotations

import json

from tests.cli.conftest import Invoke
from tests.conftest import run_sql


def test_rebuild_corrects_tampered_state_and_reports_it(cli: Invoke, database_url: str) -> None:
    assert cli("demo", "--no-serve", "--alerts", "6").code == 0
    clean = cli("db", "rebuild", "--json")
    assert clean.code == 0, clean.err
    report = json.loads(clean.out)
    assert report["changed"] == {} and report["entries"] > 50
    before = json.loads(cli("proposal", "list", "--json").out)
    run_sql(database_url, "UPDATE proposals SET status = 'denied'", "DELETE FROM steps")
    assert {p["status"] for p in json.loads(cli("proposal", "list", "--json").out)} == {"denied"}
    run = cli("db", "rebuild")
    assert run.code == 0, run.err
    assert "proposals:" in run.out and "steps:" in run.out and "ledger verified" in run.out
    assert json.loads(cli("proposal", "list", "--json").out) == before
    assert cli("ledger", "verify").code == 0


def test_rebuild_refuses_a_ledger_that_does_not_verify(cli: Invoke, database_url: str) -> None:
    assert cli("demo", "--no-serve", "--alerts", "3").code == 0
    run_sql(
        database_url,
        "UPDATE ledger_entries SET actor = 'agent:intruder' WHERE seq = 4",
        "UPDATE proposals SET status = 'denied'",
    )
    run = cli("db", "rebuild")
    assert run.code == 1
    assert run.err.startswith("error: entry 4:")
    statuses = {p["status"] for p in json.loads(cli("proposal", "list", "--json").out)}
    assert statuses == {"denied"}  # nothing rebuilt from a ledger that fails verification
