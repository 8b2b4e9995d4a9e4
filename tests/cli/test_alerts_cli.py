"""``affidavit alerts ingest``: vendor files in, one entry per alert, bad input refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke
from tests.conftest import TEST_DATA

VENDOR = TEST_DATA / "alerts" / "vendor"


@pytest.mark.parametrize(
    ("name", "vendor"),
    [
        ("defender_endpoint.json", "microsoft_defender"),
        ("crowdstrike_falcon.json", "crowdstrike_falcon"),
        ("guardduty.json", "aws_guardduty"),
        ("scc.json", "google_scc"),
        ("falco.json", "falco"),
    ],
)
def test_ingest_each_vendor_sample(cli: Invoke, name: str, vendor: str) -> None:
    run = cli("alerts", "ingest", str(VENDOR / name), "--case", "CASE-42", "--json")
    assert run.code == 0, run.err
    [result] = json.loads(run.out)
    assert result["vendor"] == vendor
    assert result["case"] == "CASE-42"
    assert result["seq"] == 1  # entry 0 opened the case
    assert cli("ledger", "verify").code == 0


def test_ingest_json_lines_and_duplicates(cli: Invoke, tmp_path: Path) -> None:
    lines = [json.dumps(json.loads((VENDOR / n).read_text())) for n in ("scc.json", "falco.json")]
    path = tmp_path / "alerts.jsonl"
    path.write_text("\n".join(lines) + "\n")
    first = cli("alerts", "ingest", str(path))
    assert first.code == 0
    assert "2 alerts ingested, 0 duplicates" in first.err
    second = cli("alerts", "ingest", str(path), "--json")
    results = json.loads(second.out)
    assert [r["duplicate_of"] for r in results] == [1, 3]  # each after its case.opened
    assert all(r["seq"] is None for r in results)
    assert cli("ledger", "verify", "--json").out.count('"size": 4') == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "line 1"),
        (b"\xff\xfe\x00binary", "UTF-8"),
        (b'[{"hello": "world"}]', "unrecognised alert format"),
        (b"[1, 2, 3]", "item 0"),
        (b"[" * 5000 + b"]" * 5000, "deep"),
        (b"", "empty"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(
    cli: Invoke, tmp_path: Path, content: bytes, message: str
) -> None:
    assert cli("demo", "--no-serve", "--alerts", "3").code == 0
    before = json.loads(cli("ledger", "verify", "--json").out)["size"]
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    run = cli("alerts", "ingest", str(path))
    assert run.code == 2
    assert run.err.startswith("error: ")
    assert message.lower() in run.err.lower()
    verified = cli("ledger", "verify", "--json")
    assert json.loads(verified.out)["size"] == before


def test_missing_file_directory_and_hostile_case(cli: Invoke, tmp_path: Path) -> None:
    assert cli("alerts", "ingest", str(tmp_path / "nope.json")).code == 2
    assert cli("alerts", "ingest", str(tmp_path)).code == 2
    sample = tmp_path / "a.json"
    sample.write_text(
        json.dumps(json.loads((VENDOR / "scc.json").read_text())) if VENDOR.is_dir() else "{}"
    )
    run = cli("alerts", "ingest", str(sample), "--case", "../../etc/passwd\n")
    assert run.code == 2
    assert "case" in run.err


def test_oversized_input_is_refused(
    cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from affidavit.cli import _alerts

    monkeypatch.setattr(_alerts, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 101)
    run = cli("alerts", "ingest", str(path))
    assert run.code == 2
    assert "larger than 100 bytes" in run.err


def test_one_alert_is_singular_and_unmapped_fields_are_counted(cli: Invoke) -> None:
    run = cli("alerts", "ingest", str(VENDOR / "guardduty.json"))
    assert run.code == 0, run.err
    assert "1 alert ingested, 0 duplicates; " in run.err
    assert "fields not mapped to the alert model (--verbose names them)" in run.err
    assert "detail.service.count" not in run.err
    again = cli("alerts", "ingest", str(VENDOR / "guardduty.json"), "--verbose")
    assert "0 alerts ingested, 1 duplicate; " in again.err
    assert "the alert (line 1): " in again.err
    assert "detail.service.count" in again.err
    assert "--verbose names them" not in again.err
    listed = json.loads(cli("alerts", "ingest", str(VENDOR / "guardduty.json"), "--json").out)
    assert listed[0]["where"] == "the alert (line 1)"
    assert "detail.service.count" in listed[0]["unmapped"]


def test_an_unrecognised_item_is_named_and_nothing_is_written(cli: Invoke, tmp_path: Path) -> None:
    good = json.loads((VENDOR / "falco.json").read_text())
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps([good, {"foo": "bar"}], indent=2))
    run = cli("alerts", "ingest", str(path))
    assert run.code == 2
    assert run.err.startswith("error: item 1 (line ")
    assert "unrecognised alert format; keys seen: 'foo'" in run.err
    assert "bar" not in run.err
    lines = tmp_path / "mixed.jsonl"
    lines.write_text(json.dumps(good) + "\n" + json.dumps({"foo": "bar"}) + "\n")
    run = cli("alerts", "ingest", str(lines))
    assert run.err.startswith("error: line 2: unrecognised alert format")


def test_hostile_field_names_are_quoted_in_verbose_output(cli: Invoke, tmp_path: Path) -> None:
    alert = json.loads((VENDOR / "falco.json").read_text())
    alert["\x1b[2J\x1b[31mpwned"] = "x"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(alert))
    run = cli("alerts", "ingest", str(path), "--verbose")
    assert run.code == 0, run.err
    assert "\x1b" not in run.err
    assert '["\\u001b[2J\\u001b[31mpwned"]' in run.err


def test_four_processes_ingesting_one_alert_make_one_entry(
    cli: Invoke, home: Path, database_url: str, tmp_path: Path
) -> None:
    assert cli("ledger", "checkpoint").code == 0  # the database and its keys exist
    path = tmp_path / "alert.json"
    path.write_text((VENDOR / "falco.json").read_text())
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "PYTHONPATH", "HOME")}
    env["AFFIDAVIT_HOME"] = str(home)
    if not database_url.startswith("sqlite"):
        env["AFFIDAVIT_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "affidavit", "alerts", "ingest", str(path), "--json"]
    runs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert all(run.returncode == 0 for run in runs), [err for _, err in outputs]
    results = [json.loads(out)[0] for out, _ in outputs]
    [recorded] = [r for r in results if r["seq"] is not None]
    assert [r["duplicate_of"] for r in results if r["seq"] is None] == [recorded["seq"]] * 3
    replay = json.loads(cli("case", "replay", recorded["case"], "--json").out)
    assert [e["type"] for e in replay["timeline"]] == ["case.opened", "alert.ingested"]
    assert cli("ledger", "verify").code == 0
