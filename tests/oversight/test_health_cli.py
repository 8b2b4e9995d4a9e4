"""``affidavit health`` and ``affidavit report compliance`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke


@pytest.fixture
def worked(cli: Invoke) -> None:
    assert cli("demo", "--alerts", "20", "--no-serve").code == 0


def test_health_as_table_and_json(cli: Invoke, worked: None) -> None:
    run = cli("health")
    assert run.code == 0, run.err
    assert "Governance health" in run.out and "Approvers" in run.out
    data = json.loads(cli("health", "--json", "--from", "2000-01-01", "--to", "2999-12-31").out)
    assert data["latency"]["count"] > 0 and data["window"]["from"] == "2000-01-01"
    agents = {r["agent"] for r in data["rates"]["agent"]}
    assert agents and agents <= {"agent:triage", "agent:correlation", "agent:response"}
    again = json.loads(cli("health", "--json", "--from", "2000-01-01", "--to", "2999-12-31").out)
    for d in (data, again):
        d["window"].pop("as_of")
        d["alerts"].pop("rate_per_15m")  # both decay with the time asked
    assert again == data  # resumed from the saved snapshot: the same answer


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-02-30"], "--from must be a date"),
        (["--to", "12/01/2026"], "--to must be a date"),
        (["--from", "2026-12-07", "--to", "2026-12-01"], "not be later"),
        (["--thresholds", "/nonexistent/t.yaml"], "cannot read thresholds"),
    ],
)
def test_health_bad_input(cli: Invoke, worked: None, args: list[str], message: str) -> None:
    run = cli("health", *args)
    assert run.code == 2 and message in run.err and run.err.startswith("error: ")
    assert cli("ledger", "verify").code == 0


def test_health_without_a_ledger_is_one_error_line(cli: Invoke) -> None:
    run = cli("health")
    assert run.code != 0 and run.err.startswith("error: ") and run.err.count("\n") == 1


@pytest.mark.parametrize("fmt", ["json", "html", "pdf"])
def test_report_in_each_format(cli: Invoke, worked: None, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    run = cli("report", "compliance", "--format", fmt, "-o", str(out))
    assert run.code == 0, run.err
    assert "controls" in run.out
    head = out.read_bytes()[:16]
    assert head.startswith({"json": b"{", "html": b"<!doctype html>", "pdf": b"%PDF-"}[fmt])


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["--format", "docx"], "--format must be one of html, pdf, json", 2),
        (["--from", "yesterday"], "--from must be a date", 2),
        (["--controls", "/nonexistent/c.yaml"], "cannot read controls file", 2),
    ],
)
def test_report_bad_input(
    cli: Invoke, tmp_path: Path, args: list[str], message: str, code: int
) -> None:
    out = tmp_path / "report.out"
    run = cli("report", "compliance", "-o", str(out), *args)
    assert run.code == code and message in run.err, run.err
    assert not out.exists()
    assert "docx" not in run.err.replace("--format must", "")  # the rejected value is not echoed
