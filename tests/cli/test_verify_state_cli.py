"""`affidavit ledger verify` checks meaning too: the state tables are the projection of
the ledger (issue 9, item 3), on the log's host and on an auditor's copy with no key."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke
from tests.conftest import run_sql


@pytest.fixture
def demo(cli: Invoke) -> None:
    run = cli("demo", "--no-serve", "--alerts", "20")
    assert run.code == 0, run.err


def test_verify_checks_the_state_of_the_demo(cli: Invoke, demo: None) -> None:
    run = cli("ledger", "verify", "--json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert report["state"]["entries"] == report["size"]
    assert report["state"]["rows"] > 50
    text = cli("ledger", "verify")
    assert "equal the projection of" in text.out


def test_a_phantom_approval_fails_verify_naming_the_table(
    cli: Invoke, demo: None, database_url: str
) -> None:
    run_sql(
        database_url,
        "INSERT INTO approvals (proposal_id, approver_id, verdict, rationale, seq) "
        "SELECT id, 'mallory', 'approve', 'ok', 999999 FROM proposals "
        "WHERE status = 'pending_approval' OR status = 'executed' LIMIT 1",
    )
    run = cli("ledger", "verify")
    assert run.code == 1
    assert run.err.startswith("error: the state tables are not the projection of the ledger: ")
    assert "table approvals" in run.err and "mallory" in run.err
    assert run.err.count("\n") == 1
    assert cli("ledger", "verify", "--skip-state").code == 0  # the entries themselves are intact


def test_an_auditor_checks_the_state_with_no_key_file(
    cli: Invoke,
    demo: None,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> None:
    key = cli("ledger", "verifier-key").out.strip()
    auditor = tmp_path / "auditor"
    auditor.mkdir()
    if not os.environ.get("AFFIDAVIT_DATABASE_URL") and (home / "affidavit.db").exists():
        shutil.copyfile(home / "affidavit.db", auditor / "affidavit.db")
        database_url = f"sqlite:///{auditor / 'affidavit.db'}"
    monkeypatch.setenv("AFFIDAVIT_HOME", str(auditor))
    before = sorted(p.name for p in auditor.iterdir())
    run = cli("ledger", "verify", "--key", key, "--json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["state"]["tables"] >= 14
    assert sorted(p.name for p in auditor.iterdir()) == before  # no key was created
    [changed] = run_sql(
        database_url, "UPDATE proposals SET status = 'authorized' WHERE status = 'denied'"
    )
    assert changed > 0
    tampered = cli("ledger", "verify", "--key", key)
    assert tampered.code == 1
    assert "the state tables are not the projection" in tampered.err
