"""``affidavit ledger ...`` and ``affidavit demo``: the stable CLI of DESIGN §6.4."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from affidavit.ledger import merkle, note
from tests.cli.conftest import Invoke


def test_demo_headless_runs_the_main_job(cli: Invoke) -> None:
    run = cli("demo", "--no-serve", "--alerts", "40")
    assert run.code == 0, run.err
    assert "40 alerts recorded" in run.out
    assert "ledger verify: ok" in run.out
    again = cli("demo", "--no-serve", "--alerts", "10")
    assert again.code == 0
    assert "ledger now 50 entries" in again.out


def test_demo_rejects_bad_alert_counts(cli: Invoke) -> None:
    for bad in ("0", "-5", "1000001"):
        run = cli("demo", "--no-serve", "--alerts", bad)
        assert run.code == 2
        assert run.err.startswith("error: --alerts must be between")
    assert cli("demo", "--no-serve", "--alerts", "many").code == 2


def test_verify_checkpoint_key_and_prove(cli: Invoke) -> None:
    assert cli("demo", "--no-serve", "--alerts", "25").code == 0
    verified = cli("ledger", "verify", "--json")
    assert verified.code == 0
    report = json.loads(verified.out)
    assert report["ok"] is True
    assert report["size"] == 25

    key = cli("ledger", "verifier-key").out.strip()
    signed = cli("ledger", "checkpoint").out
    checkpoint = note.Checkpoint.parse(note.verify(signed, [key]).text)
    assert checkpoint.size == 25
    assert checkpoint.root.hex() == report["root"]

    proof = json.loads(cli("ledger", "prove", "--seq", "7").out)
    merkle.verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]), 7, proof["size"],
        [bytes.fromhex(h) for h in proof["proof"]], checkpoint.root,
    )
    assert proof["entry"]["type"] == "alert.ingested"
    old = json.loads(cli("ledger", "prove", "--seq", "3", "--size", "10").out)
    assert old["size"] == 10

    consistency = json.loads(cli("ledger", "consistency", "--old", "10").out)
    merkle.verify_consistency(
        10, 25, [bytes.fromhex(h) for h in consistency["proof"]],
        bytes.fromhex(consistency["old_root"]), checkpoint.root,
    )


def test_prove_bad_arguments_are_one_line_errors(cli: Invoke) -> None:
    assert cli("demo", "--no-serve", "--alerts", "5").code == 0
    out_of_range = cli("ledger", "prove", "--seq", "5")
    assert out_of_range.code == 3
    assert out_of_range.err == "error: entry 5 is not in a tree of size 5\n"
    assert cli("ledger", "prove", "--seq", "1", "--size", "99").code == 2
    assert cli("ledger", "prove", "--seq", "-1").code == 3
    assert cli("ledger", "prove").code == 2  # --seq is required
    assert cli("ledger", "prove", "--seq", "x").code == 2
    assert cli("ledger", "verify").code == 0


def test_verify_names_the_tampered_entry_and_exits_1(cli: Invoke, home: Path) -> None:
    assert cli("demo", "--no-serve", "--alerts", "12").code == 0
    with sqlite3.connect(home / "affidavit.db") as conn:
        conn.execute("UPDATE ledger_entries SET actor = 'agent:intruder' WHERE seq = 4")
    run = cli("ledger", "verify")
    assert run.code == 1
    assert run.err.startswith("error: entry 4:")
    assert run.err.count("\n") == 1


def test_verify_with_expected_key(cli: Invoke) -> None:
    assert cli("demo", "--no-serve", "--alerts", "3").code == 0
    key = cli("ledger", "verifier-key").out.strip()
    assert cli("ledger", "verify", "--key", key).code == 0
    other = note.generate_key("affidavit.local/log/other")[1]
    run = cli("ledger", "verify", "--key", other)
    assert run.code == 1
    assert "not the expected key" in run.err


def test_foreign_database_is_refused(cli: Invoke, home: Path) -> None:
    home.mkdir()
    with sqlite3.connect(home / "affidavit.db") as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    run = cli("ledger", "verify")
    assert run.code == 7
    assert "not an Affidavit database" in run.err


def test_unknown_command_is_a_usage_error(cli: Invoke) -> None:
    run = cli("ledger", "shred")
    assert run.code == 2


def test_console_script_and_db_upgrade(home: Path) -> None:
    env = {"AFFIDAVIT_HOME": str(home), "PATH": "/usr/bin:/bin"}
    import os

    env.update({k: v for k, v in os.environ.items() if k in ("PYTHONPATH", "HOME")})
    upgraded = subprocess.run(
        [sys.executable, "-m", "affidavit", "db", "upgrade"], env=env, capture_output=True,
        text=True, check=False,
    )
    assert upgraded.returncode == 0, upgraded.stderr
    assert "revision 0001" in upgraded.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "affidavit", "ledger", "prove", "--seq", "0"], env=env,
        capture_output=True, text=True, check=False,
    )
    assert bad.returncode == 3
    assert bad.stderr == "error: entry 0 is not in a tree of size 0\n"
