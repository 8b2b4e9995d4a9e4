"""``affidavit export run|status`` against a local SIEM intake."""

from __future__ import annotations

import json
from pathlib import Path

from affidavit.config import Settings
from affidavit.ledger.log import Ledger
from tests.cli.conftest import Invoke
from tests.export._receivers import HttpReceiver, free_port
from tests.export.conftest import PLANTED, record_activity


def _config(home: Path, url: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "export.yaml").write_text(
        f"sinks:\n  siem:\n    type: http\n    url: {url}\nretry: {{attempts: 1}}\n"
    )


def test_run_once_then_status(cli: Invoke, ledger: Ledger, settings: Settings, home: Path) -> None:
    record_activity(ledger, settings)
    siem = HttpReceiver()
    siem.start()
    try:
        _config(home, siem.url)
        done = cli("export", "run", "--once")
        assert done.code == 0, done.err
        assert done.out.startswith("siem\t")
        assert "backlog 0" in done.out
        status = cli("export", "status", "--json")
        assert status.code == 0, status.err
        report = json.loads(status.out)
        assert report["ledger_size"] == ledger.size()
        [sink] = report["sinks"]
        assert (sink["backlog"], sink["failures"]) == (0, 0)
        assert sink["delivered"] == len(siem.events())
        received = json.dumps(siem.events())
        assert all(p not in received for p in PLANTED)
    finally:
        siem.stop()


def test_a_sink_that_is_down_exits_1_and_keeps_the_backlog(
    cli: Invoke, ledger: Ledger, settings: Settings, home: Path
) -> None:
    record_activity(ledger, settings)
    _config(home, f"http://127.0.0.1:{free_port()}/ingest")
    failed = cli("export", "run", "--once")
    assert failed.code == 1
    assert failed.err.startswith("error: 1 sink(s) could not deliver (siem)")
    assert "FAILING: could not connect" in failed.out
    status = cli("export", "status")
    assert f"backlog {ledger.size()}" in status.out
    assert "failing (1 tries)" in status.out


def test_configuration_errors_are_one_line(cli: Invoke, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    missing = cli("export", "run", "--once")
    assert (
        missing.code == 7 and missing.err.startswith("error: ") and "names no sinks" in missing.err
    )
    (home / "export.yaml").write_text("sinks: [oops\n")
    broken = cli("export", "status")
    assert broken.code == 7 and "not valid YAML" in broken.err
    _config(home, "http://127.0.0.1:9/x")
    unknown = cli("export", "run", "--once", "--sink", "nope")
    assert unknown.code == 7 and "no sink named 'nope'" in unknown.err
