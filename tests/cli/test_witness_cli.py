"""``affidavit witness keygen|serve`` as real processes, with the log's CLI talking to it."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from affidavit.ledger.cosignature import witness_key_name
from tests.cli.conftest import Invoke


def test_keygen_writes_a_private_key_and_prints_the_public_one(cli: Invoke, tmp_path: Path) -> None:
    key_file = tmp_path / "w" / "witness.key"
    run = cli("witness", "keygen", "witness.example/w1", "--key-file", str(key_file))
    assert run.code == 0, run.err
    vkey = run.out.strip()
    assert witness_key_name(vkey) == "witness.example/w1"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().startswith("PRIVATE+KEY+witness.example/w1+")
    assert (tmp_path / "w" / "witness.key.pub").read_text().strip() == vkey
    again = cli("witness", "keygen", "witness.example/w1", "--key-file", str(key_file))
    assert again.code == 2 and "refusing to overwrite" in again.err
    assert cli("witness", "keygen", "bad name", "--key-file", str(tmp_path / "x")).code == 2


@pytest.fixture
def witness_process(cli: Invoke, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """``affidavit witness serve`` in its own process, for the log of the test's home."""
    key = cli("ledger", "verifier-key").out.strip()
    key_file = tmp_path / "w" / "witness.key"
    vkey = cli("witness", "keygen", "witness.example/w1", "--key-file", str(key_file)).out.strip()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "affidavit",
            "witness",
            "serve",
            "--key-file",
            str(key_file),
            "--log-key",
            key,
            "--port",
            "0",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()
    assert "listening on http://127.0.0.1:" in first, first
    url = first.split("listening on ")[1].strip()
    try:
        yield url, vkey, key_file
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        proc.stderr.close()


def test_the_log_collects_cosignatures_from_a_witness_process(
    cli: Invoke, home: Path, witness_process: tuple[str, str, Path]
) -> None:
    url, vkey, key_file = witness_process
    assert cli("demo", "--no-serve", "--alerts", "5").code == 0
    (home / "witnesses.yaml").write_text(yaml.safe_dump({"witnesses": [{"url": url, "key": vkey}]}))
    signed = cli("ledger", "checkpoint")
    assert signed.code == 0 and signed.err == ""
    assert "\u2014 witness.example/w1 " in signed.out
    run = cli("ledger", "verify", "--witness", vkey, "--json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert report["witnessed_by"] == ["witness.example/w1"]
    assert report["witnessed_size"] == report["size"]
    text = cli("ledger", "verify", "--witness", vkey).out
    assert (
        f"witnessed: the checkpoint at size {report['size']} is cosigned by witness.example/w1"
        in text
    )
    assert (key_file.parent / "witness-state").is_dir()


def test_serve_refuses_bad_arguments(cli: Invoke, tmp_path: Path) -> None:
    key_file = tmp_path / "witness.key"
    missing = cli("witness", "serve", "--key-file", str(key_file), "--log-key", "x")
    assert missing.code == 7 and "does not exist" in missing.err
    cli("witness", "keygen", "witness.example/w1", "--key-file", str(key_file))
    bad_log = cli("witness", "serve", "--key-file", str(key_file), "--log-key", "nope")
    assert bad_log.code == 7 and "cannot start the witness" in bad_log.err
    key_file.chmod(0o644)
    loose = cli("witness", "serve", "--key-file", str(key_file), "--log-key", "x")
    assert loose.code == 7 and "chmod 600" in loose.err
