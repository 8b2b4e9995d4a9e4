"""``affidavit dataset export | affected | verify`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke

POLICY = "purposes: [tuning]\nclasses: {secret: remove, credential: remove, pii: tokenize}\n"
WIDE = ["--from", "2000-01-01", "--to", "2999-12-31"]


def _token(cli: Invoke, *args: str) -> str:
    run = cli("identity", "add", *args)
    assert run.code == 0, run.err
    return run.out.strip().splitlines()[-1]


@pytest.fixture
def setup(cli: Invoke, tmp_path: Path) -> dict[str, str]:
    assert cli("demo", "--alerts", "20", "--no-serve").code == 0
    (tmp_path / "policy.yaml").write_text(POLICY)
    return {
        "pat": _token(cli, "pat", "--human", "--roles", "dataset_export"),
        "dan": _token(cli, "dan", "--human", "--roles", "analyst"),
        "policy": str(tmp_path / "policy.yaml"),
    }


def test_export_verify_erase_affected(cli: Invoke, setup: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "ds.jsonl"
    run = cli(
        "dataset",
        "export",
        "--purpose",
        "tuning",
        *WIDE,
        "--policy",
        setup["policy"],
        "-o",
        str(out),
        "--token",
        setup["pat"],
    )
    assert run.code == 0, run.err
    result = json.loads(run.out)
    assert result["records"] > 0 and out.exists()
    assert cli("dataset", "verify", str(out)).code == 0
    assert json.loads(cli("dataset", "affected", "--json").out) == []
    case = json.loads(out.read_text().splitlines()[1])["case"]
    erased = cli("payload", "erase", "--case", case, "--reason", "subject request")
    assert erased.code == 0, erased.err
    [affected] = json.loads(cli("dataset", "affected", "--json").out)
    assert affected["dataset"] == result["dataset"] and affected["erased"]
    assert result["dataset"] in cli("dataset", "affected").out
    out.write_text(out.read_text().replace('"case"', '"kase"', 1))
    changed = cli("dataset", "verify", str(out))
    assert changed.code == 1 and "changed since export" in changed.err
    assert cli("ledger", "verify").code == 0


@pytest.mark.parametrize(
    ("who", "args", "message", "code"),
    [
        ("dan", [], "lacks the dataset_export role", 6),
        (None, [], "a token is required", 5),
        ("pat", ["--purpose", "marketing"], "does not allow the purpose", 6),
        ("pat", ["--from", "2026-13-01"], "--from must be a date", 2),
        ("pat", ["--from", "2026-12-07", "--to", "2026-12-01"], "not be later", 2),
    ],
)
def test_export_bad_input(
    cli: Invoke,
    setup: dict[str, str],
    tmp_path: Path,
    who: str | None,
    args: list[str],
    message: str,
    code: int,
) -> None:
    out = tmp_path / "ds.jsonl"
    options = {"--purpose": "tuning", "--from": "2000-01-01", "--to": "2999-12-31"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        options[flag] = value
    token = ["--token", setup[who]] if who else []
    flat = [part for pair in options.items() for part in pair]
    run = cli("dataset", "export", *flat, "--policy", setup["policy"], "-o", str(out), *token)
    assert run.code == code and message in run.err, run.err
    assert not out.exists()
    assert cli("ledger", "verify").code == 0


def test_verify_bad_files(cli: Invoke, setup: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"\x00\xff garbage")
    assert cli("dataset", "verify", str(path)).code == 2
    assert cli("dataset", "verify", str(tmp_path / "missing.jsonl")).code == 2
