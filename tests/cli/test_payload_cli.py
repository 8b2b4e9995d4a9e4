"""``affidavit payload erase|sweep``: erasure keeps ``ledger verify`` green and says so."""

from __future__ import annotations

import json

from affidavit.governance.operators import local_operator
from tests.cli.conftest import Invoke

SERIOUS = {"disable_account", "revoke_sessions", "force_password_reset", "wipe_host"}


def test_erase_by_case_and_hash_then_verify(cli: Invoke) -> None:
    assert cli("demo", "--no-serve", "--alerts", "6").code == 0
    cases = json.loads(cli("case", "list", "--json").out)
    proposals = json.loads(cli("proposal", "list", "--json").out)
    serious = {p["case_id"] for p in proposals if p["action"] in SERIOUS}
    case = next(c["id"] for c in cases if c["id"].startswith("AL-") and c["id"] not in serious)
    run = cli("payload", "erase", "--case", case, "--reason", "data-subject request #4")
    assert run.code == 0, run.err
    assert run.out.startswith("erased ")
    verified = json.loads(cli("ledger", "verify", "--json").out)
    assert verified["ok"] and verified["erased_payloads"] >= 1
    assert verified["erasures"][0]["rule"] == "request"
    text = cli("ledger", "verify").out
    assert "erased on purpose" in text and local_operator() in text
    again = cli("payload", "erase", "--case", case, "--reason", "again")
    assert again.code == 3


def test_erase_bad_arguments(cli: Invoke) -> None:
    assert cli("payload", "erase", "--reason", "x").code == 2  # neither --sha256 nor --case
    assert cli("payload", "erase", "--sha256", "a" * 64, "--case", "C", "--reason", "x").code == 2
    assert cli("payload", "erase", "--sha256", "XYZ", "--reason", "x").code == 2
    assert cli("payload", "erase", "--sha256", "a" * 64, "--reason", "").code == 2
    assert cli("payload", "erase", "--sha256", "a" * 64, "--reason", "no such").code == 3
    assert cli("payload", "erase", "--case", "../etc", "--reason", "x").code == 2


def test_sweep_dry_run_and_bad_windows(cli: Invoke) -> None:
    assert cli("demo", "--no-serve", "--alerts", "3").code == 0
    run = cli("payload", "sweep", "--dry-run")
    assert run.code == 0, run.err
    assert "retention:short: would erase 0 payloads" in run.out
    assert cli("payload", "sweep", "--short-days", "400", "--full-days", "30").code == 2
    assert cli("ledger", "verify").code == 0
