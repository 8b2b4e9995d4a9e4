"""``affidavit case export`` and ``affidavit verify-pack``: the auditor's round trip."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke


@pytest.fixture
def demo_case(cli: Invoke) -> tuple[str, str]:
    """(the busiest case of a demo run, the log's verifier key)."""
    assert cli("demo", "--no-serve", "--alerts", "12").code == 0
    cases = json.loads(cli("case", "list", "--json").out)
    busiest = max(cases, key=lambda c: c["entries"])["id"]
    return busiest, cli("ledger", "verifier-key").out.strip()


def test_export_and_verify_a_case(cli: Invoke, demo_case: tuple[str, str], tmp_path: Path) -> None:
    case, key = demo_case
    pack = tmp_path / "case.zip"
    run = cli("case", "export", case, "-o", str(pack))
    assert run.code == 0, run.err
    assert run.out.startswith(f"wrote {pack}: ")
    assert f"affidavit verify-pack {pack} --key '{key}'" in run.out
    checked = cli("verify-pack", str(pack), "--key", key)
    assert checked.code == 0, checked.err
    assert checked.out.startswith("ok: case.zip verified")
    assert f"(case {case};" in checked.out
    report = json.loads(cli("verify-pack", str(pack), "--key", key, "--json").out)
    assert report["ok"] is True
    assert report["size"] == json.loads(cli("ledger", "verify", "--json").out)["size"]


def test_export_and_verify_a_period(
    cli: Invoke, demo_case: tuple[str, str], tmp_path: Path
) -> None:
    _, key = demo_case
    pack = tmp_path / "period.zip"
    # every demo entry, whatever today's date: the widest period the formats allow
    run = cli(
        "case",
        "export",
        "--from",
        "0001-01-01",
        "--to",
        "9999-12-31T00:00:00Z",
        "-o",
        str(pack),
        "--json",
    )
    assert run.code == 0, run.err
    exported = json.loads(run.out)
    assert exported["entries"] == exported["size"]
    report = json.loads(cli("verify-pack", str(pack), "--key", key, "--json").out)
    assert report["entries"] == exported["entries"]
    assert report["scope"] == {
        "from": "0001-01-01T00:00:00.000000Z",
        "to": "9999-12-31T00:00:00.000000Z",
    }
    assert cli("ledger", "verify").code == 0


def test_a_tampered_pack_fails_with_one_line_naming_the_file(
    cli: Invoke, demo_case: tuple[str, str], tmp_path: Path
) -> None:
    case, key = demo_case
    pack = tmp_path / "case.zip"
    assert cli("case", "export", case, "-o", str(pack)).code == 0
    with zipfile.ZipFile(pack) as z:
        files = {n: z.read(n) for n in z.namelist()}
    name = next(n for n in files if n.startswith("payloads/"))
    files[name] = b"something else"
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    run = cli("verify-pack", str(forged), "--key", key)
    assert run.code == 1
    assert run.err.startswith(f"error: {name}: ")
    assert run.err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["case", "export", "NO-SUCH-CASE", "-o", "{tmp}/p.zip"], 3, "no ledger entries for case"),
        (["case", "export", "bad case id!", "-o", "{tmp}/p.zip"], 2, "a case id is"),
        (["case", "export", "-o", "{tmp}/p.zip"], 2, "give a case id, or both"),
        (["case", "export", "--from", "2026-01-01", "-o", "{tmp}/p.zip"], 2, "give a case id"),
        (["case", "export", "C", "--from", "2026-01-01", "-o", "{tmp}/p.zip"], 2, "not both"),
        (["case", "export", "--from", "soon", "--to", "later", "-o", "{tmp}/p.zip"], 2, "ISO 8601"),
        (
            [
                "case",
                "export",
                "--from",
                "2026-01-01T00:00:00",
                "--to",
                "2027-01-01",
                "-o",
                "{tmp}/p.zip",
            ],
            2,
            "time zone",
        ),
        (
            [
                "case",
                "export",
                "--from",
                "2026-01-01",
                "--to",
                "2027-01-01",
                "-o",
                "{tmp}/no/p.zip",
            ],
            2,
            "does not exist",
        ),
        (["verify-pack", "{tmp}/missing.zip", "--key", "{key}"], 2, "missing.zip: no such file"),
        (["verify-pack", "{tmp}/empty.zip", "--key", "{key}"], 1, "empty.zip: is not a zip file"),
        (["verify-pack", "{tmp}/empty.zip", "--key", "not-a-key"], 2, "log verifier key"),
        (
            ["verify-pack", "{tmp}/empty.zip", "--key", "{key}", "--witness", "x+00000000+AA=="],
            2,
            "witness key 1",
        ),
    ],
)
def test_bad_input(
    cli: Invoke,
    demo_case: tuple[str, str],
    tmp_path: Path,
    args: list[str],
    code: int,
    message: str,
) -> None:
    (tmp_path / "empty.zip").write_bytes(b"")
    _, key = demo_case
    run = cli(*[a.format(tmp=tmp_path, key=key) for a in args])
    assert run.code == code, run.err
    assert run.err.startswith("error: ")
    assert message in run.err
    assert run.err.count("\n") == 1
    assert cli("ledger", "verify").code == 0
