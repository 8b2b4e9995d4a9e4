"""``affidavit ledger ...`` and ``affidavit demo``: the stable CLI of DESIGN §6.4."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from affidavit.config import Settings
from affidavit.ledger import merkle, note
from affidavit.ledger.entry import Entry
from affidavit.ledger.log import Ledger
from affidavit.store.engine import head_revision
from tests.cli.conftest import Invoke
from tests.conftest import run_sql
from tests.ledger.attacks import rewrite_history, truncate


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


# -- an auditor needs no secret (issue 9 item 4) ------------------------------------


def _fill(settings: Settings, entries: int, every: int = 10) -> str:
    """A ledger of ``entries`` entries (payloads on some), a checkpoint every ``every``."""
    with Ledger.open(replace(settings, checkpoint_every=every)) as ledger:
        for start in range(0, entries, every):
            ledger.append_many(
                [
                    Entry(
                        type="test.entry",
                        actor="agent:a",
                        body={"i": i},
                        payloads=(f"evidence {i}".encode(),) if i % 7 == 0 else (),
                    )
                    for i in range(start, min(start + every, entries))
                ]
            )
        ledger.checkpoint()
        return ledger.verifier_key


def _auditor(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty AFFIDAVIT_HOME holding only a copy of the database (SQLite), or nothing
    but the database URL (PostgreSQL): what an auditor has."""
    auditor = tmp_path / "auditor"
    auditor.mkdir()
    source = home / "affidavit.db"
    if source.exists() and not os.environ.get("AFFIDAVIT_DATABASE_URL"):
        shutil.copyfile(source, auditor / "affidavit.db")
    monkeypatch.setenv("AFFIDAVIT_HOME", str(auditor))
    return auditor


def test_auditor_verifies_a_copy_with_no_key_file_and_creates_none(
    cli: Invoke,
    settings: Settings,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> None:
    key = _fill(settings, 30)
    auditor = _auditor(tmp_path, home, monkeypatch)
    before = sorted(p.name for p in auditor.iterdir())
    run = cli("ledger", "verify", "--key", key, "--json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert (report["size"], report["payloads_decrypted"]) == (30, False)
    assert sorted(p.name for p in auditor.iterdir()) == before  # no key, no state, nothing
    proof = json.loads(cli("ledger", "prove", "--seq", "3").out)  # proofs need no key either
    assert proof["seq"] == 3
    assert sorted(p.name for p in auditor.iterdir()) == before
    # Tampering is still caught, on the auditor's side.
    if database_url.startswith("sqlite"):
        database_url = f"sqlite:///{auditor / 'affidavit.db'}"
    run_sql(database_url, "UPDATE ledger_entries SET actor = 'agent:intruder' WHERE seq = 4")
    tampered = cli("ledger", "verify", "--key", key)
    assert tampered.code == 1
    assert tampered.err.startswith("error: entry 4:")
    assert tampered.err.count("\n") == 1


def test_auditor_without_a_key_is_told_to_pass_one(
    cli: Invoke, settings: Settings, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(settings, 3)
    auditor = _auditor(tmp_path, home, monkeypatch)
    run = cli("ledger", "verify")
    assert (run.code, run.err) == (
        7,
        "error: no verifier key: pass --key VKEY (the output of `affidavit ledger verifier-key`)\n",
    )
    assert not (auditor / "log.key").exists()
    assert cli("ledger", "verify", "--key", "not-a-key").code == 2


def test_verify_never_creates_a_vault_key(cli: Invoke, settings: Settings) -> None:
    """Before: with log.key but no vault.key, verify created a new vault.key."""
    _fill(settings, 12)
    settings.vault_key_path.unlink()
    run = cli("ledger", "verify", "--json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["payloads_decrypted"] is False
    assert not settings.vault_key_path.exists()


def test_a_saved_checkpoint_catches_a_truncated_tail(
    cli: Invoke,
    settings: Settings,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> None:
    key = _fill(settings, 200)
    saved = tmp_path / "saved.note"
    saved.write_text(cli("ledger", "checkpoint").out)  # what the auditor kept
    truncate(database_url, 123)  # the last 77 entries and their checkpoints, gone
    _auditor(tmp_path, home, monkeypatch)
    assert cli("ledger", "verify", "--key", key).code == 0  # clean without the saved one
    run = cli("ledger", "verify", "--key", key, "--checkpoint", str(saved))
    assert run.code == 1
    assert run.err == (
        f"error: the ledger has 123 entries but saved checkpoint {saved} covers 200: entries "
        "were deleted from the end, or the database was restored from an older backup\n"
    )


def test_a_saved_checkpoint_catches_history_rewritten_with_the_same_key(
    cli: Invoke,
    settings: Settings,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> None:
    key = _fill(settings, 50)
    saved = tmp_path / "saved.note"
    saved.write_text(cli("ledger", "checkpoint", "--size", "40").out)
    # Whoever holds log.key rewrites entry 3, rehashes, discards the signer state and
    # re-signs: the database alone verifies clean.
    rewrite_history(database_url, edit={3: (b'"i":3', b'"i":9')})
    settings.log_state_path.unlink()
    assert cli("ledger", "checkpoint").code == 0
    _auditor(tmp_path, home, monkeypatch)
    assert cli("ledger", "verify", "--key", key).code == 0
    run = cli("ledger", "verify", "--key", key, "--checkpoint", str(saved))
    assert run.code == 1
    assert run.err.startswith(
        f"error: the ledger's tree is not consistent with saved checkpoint {saved} (size 40)"
    )


def test_saved_checkpoint_must_be_still_stored_and_well_formed(
    cli: Invoke, settings: Settings, tmp_path: Path, database_url: str
) -> None:
    key = _fill(settings, 30)
    saved = tmp_path / "saved.note"
    saved.write_text(cli("ledger", "checkpoint", "--size", "20").out)
    ok = cli("ledger", "verify", "--key", key, "--checkpoint", str(saved), "--json")
    assert json.loads(ok.out)["extends_checkpoints"] == [30, 20]
    run_sql(database_url, "DELETE FROM ledger_checkpoints WHERE size = 20")
    run = cli("ledger", "verify", "--key", key, "--checkpoint", str(saved))
    assert run.code == 1
    assert "signed at size 20, but ledger_checkpoints has no checkpoint" in run.err

    missing = cli("ledger", "verify", "--checkpoint", str(tmp_path / "nope.note"))
    assert (missing.code, missing.err.count("\n")) == (2, 1)
    garbage = tmp_path / "garbage.note"
    garbage.write_bytes(b"\xff\xfe")
    assert cli("ledger", "verify", "--checkpoint", str(garbage)).code == 2
    garbage.write_text("hello\n")
    bad = cli("ledger", "verify", "--checkpoint", str(garbage))
    assert bad.code == 1
    assert "is not a checkpoint signed by the log key" in bad.err
    other_signer, _ = note.generate_key(note.verifier_key_name(key))
    foreign = note.sign(
        note.Checkpoint(note.verifier_key_name(key), 20, bytes(32)).format(), other_signer
    )
    garbage.write_text(foreign)
    assert (
        "not a checkpoint signed by the log key"
        in cli("ledger", "verify", "--checkpoint", str(garbage)).err
    )
    garbage.write_text("x" * 70_000)
    assert cli("ledger", "verify", "--checkpoint", str(garbage)).code == 2


def test_checkpoint_size_prints_an_older_checkpoint(cli: Invoke, settings: Settings) -> None:
    key = _fill(settings, 30)
    stored = cli("ledger", "checkpoint", "--size", "20")
    assert stored.code == 0
    assert note.Checkpoint.parse(note.verify(stored.out, [key]).text).size == 20
    older = cli("ledger", "checkpoint", "--size", "13")  # none stored: signed, a prefix
    assert note.Checkpoint.parse(note.verify(older.out, [key]).text).size == 13
    assert cli("ledger", "checkpoint", "--size", "13").out == older.out
    for bad in ("31", "-1", "x"):
        run = cli("ledger", "checkpoint", "--size", bad)
        assert run.code == 2
        assert run.err.count("\n") <= 1 or bad == "x"


def test_prove_prints_the_exact_entry_bytes(cli: Invoke, settings: Settings) -> None:
    _fill(settings, 10)
    proof = json.loads(cli("ledger", "prove", "--seq", "7").out)
    data = base64.b64decode(proof["entry_base64"], validate=True)
    assert hashlib.sha256(b"\x00" + data).hexdigest() == proof["leaf_hash"]
    assert json.loads(data) == proof["entry"]
