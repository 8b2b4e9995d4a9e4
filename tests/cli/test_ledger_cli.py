"""``affidavit ledger ...`` and ``affidavit demo``: the stable CLI of DESIGN §6.4."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from affidavit.ledger import merkle, note
from affidavit.store.engine import head_revision
from tests.cli.conftest import Invoke
from tests.conftest import run_sql


def test_demo_headless_runs_the_main_job(cli: Invoke) -> None:
    run = cli("demo", "--no-serve", "--alerts", "40")
    assert run.code == 0, run.err
    assert "40 alerts recorded" in run.out
    assert "ledger verify: ok" in run.out
    assert "case replay from the ledger alone equals the state tables: 5 cases" in run.out
    assert "refused, as it should be: owner approves own agent" in run.out
    first = json.loads(cli("ledger", "verify", "--json").out)["size"]
    again = cli("demo", "--no-serve", "--alerts", "10")  # a second run adds to the same ledger
    assert again.code == 0, again.err
    assert "10 alerts recorded" in again.out
    assert json.loads(cli("ledger", "verify", "--json").out)["size"] > first


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
    size = report["size"]
    assert size > 25

    key = cli("ledger", "verifier-key").out.strip()
    signed = cli("ledger", "checkpoint").out
    checkpoint = note.Checkpoint.parse(note.verify(signed, [key]).text)
    assert checkpoint.size == size
    assert checkpoint.root.hex() == report["root"]

    proof = json.loads(cli("ledger", "prove", "--seq", "7").out)
    merkle.verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        7,
        proof["size"],
        [bytes.fromhex(h) for h in proof["proof"]],
        checkpoint.root,
    )
    assert proof["entry"]["type"] in (
        "identity.created",
        "assets.imported",
        "case.opened",
        "alert.ingested",
    )
    old = json.loads(cli("ledger", "prove", "--seq", "3", "--size", "10").out)
    assert old["size"] == 10

    consistency = json.loads(cli("ledger", "consistency", "--old", "10").out)
    merkle.verify_consistency(
        10,
        size,
        [bytes.fromhex(h) for h in consistency["proof"]],
        bytes.fromhex(consistency["old_root"]),
        checkpoint.root,
    )


def test_prove_bad_arguments_are_one_line_errors(cli: Invoke) -> None:
    assert cli("demo", "--no-serve", "--alerts", "5").code == 0
    size = json.loads(cli("ledger", "verify", "--json").out)["size"]
    out_of_range = cli("ledger", "prove", "--seq", str(size))
    assert out_of_range.code == 3
    assert out_of_range.err == f"error: entry {size} is not in a tree of size {size}\n"
    assert cli("ledger", "prove", "--seq", "1", "--size", str(size + 1)).code == 2
    assert cli("ledger", "prove", "--seq", "-1").code == 3
    assert cli("ledger", "prove").code == 2  # --seq is required
    assert cli("ledger", "prove", "--seq", "x").code == 2
    assert cli("ledger", "verify").code == 0


def test_verify_names_the_tampered_entry_and_exits_1(cli: Invoke, database_url: str) -> None:
    assert cli("demo", "--no-serve", "--alerts", "12").code == 0
    assert run_sql(
        database_url, "UPDATE ledger_entries SET actor = 'agent:intruder' WHERE seq = 4"
    ) == [1]
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


def test_foreign_database_is_refused(cli: Invoke, home: Path, database_url: str) -> None:
    home.mkdir()
    run_sql(database_url, "CREATE TABLE invoices (id INTEGER)")
    run = cli("ledger", "verify")
    assert run.code == 7
    assert "not an Affidavit database" in run.err
    tables = set(inspect(create_engine(database_url, poolclass=NullPool)).get_table_names())
    assert tables == {"invoices"}  # nothing created beside it


def test_unknown_command_is_a_usage_error(cli: Invoke) -> None:
    run = cli("ledger", "shred")
    assert run.code == 2


def test_console_script_and_db_upgrade(home: Path, database_url: str) -> None:
    env = {"AFFIDAVIT_HOME": str(home), "PATH": "/usr/bin:/bin"}
    if not database_url.startswith("sqlite"):
        env["AFFIDAVIT_DATABASE_URL"] = database_url
    env.update({k: v for k, v in os.environ.items() if k in ("PYTHONPATH", "HOME")})
    for _ in range(2):  # creates the schema, then finds it current
        upgraded = subprocess.run(
            [sys.executable, "-m", "affidavit", "db", "upgrade"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert upgraded.returncode == 0, upgraded.stderr
        assert upgraded.stdout == f"database at revision {head_revision()}\n"
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            == head_revision()
        )
    assert "ledger_entries" in inspect(engine).get_table_names()
    engine.dispose()
    bad = subprocess.run(
        [sys.executable, "-m", "affidavit", "ledger", "prove", "--seq", "0"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 3
    assert bad.stderr == "error: entry 0 is not in a tree of size 0\n"
