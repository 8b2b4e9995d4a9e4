"""The exporter: cursors, backlog, retries with backoff, restarts, several sinks at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from affidavit.config import Settings
from affidavit.errors import ConfigError, Conflict
from affidavit.export import (
    DECISION_TYPES,
    ExportConfig,
    Exporter,
    StateStore,
    build_sinks,
)
from affidavit.ledger.log import Ledger
from tests.export._receivers import HttpReceiver, SyslogReceiver, free_port, parse_rfc5424
from tests.export.conftest import PLANTED, Activity


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def config(sinks: dict[str, Any], **top: Any) -> ExportConfig:
    return ExportConfig.parse({"sinks": sinks, **top})


def exporter(
    ledger: Ledger, cfg: ExportConfig, home: Path, sleeps: Sleeps | None = None
) -> Exporter:
    return Exporter(
        ledger,
        cfg,
        build_sinks(cfg, ledger.origin),
        StateStore(home / "export"),
        sleep=sleeps or Sleeps(),
        clock=lambda: 1_800_000_000.0,
    )


def wanted(ledger: Ledger) -> list[int]:
    return [e.seq for e in ledger.entries() if e.type in DECISION_TYPES]


def test_everything_is_delivered_once_and_the_cursor_moves(
    activity: Activity, ledger: Ledger, home: Path, siem: HttpReceiver
) -> None:
    cfg = config({"siem": {"type": "http", "url": siem.url}}, batch_size=7)
    run = exporter(ledger, cfg, home)
    [report] = run.run_once()
    run.close()
    assert report.ok and report.backlog == 0
    assert report.last_seq == ledger.size() - 1
    assert [e["metadata"]["sequence"] for e in siem.events()] == wanted(ledger)
    assert len(siem.posts) >= 3  # batches of 7 entries
    saved = StateStore(home / "export").load("siem")
    assert saved.last_seq == ledger.size() - 1
    assert saved.last_leaf == ledger.entry(ledger.size() - 1).leaf_hash.hex()
    assert saved.delivered == len(wanted(ledger))


def test_receivers_down_the_backlog_grows_and_nothing_is_lost(
    activity: Activity, ledger: Ledger, settings: Settings, home: Path
) -> None:
    http_port, tcp_port, otlp_port = free_port(), free_port(), free_port()
    cfg = config(
        {
            "siem": {
                "type": "http",
                "url": f"http://127.0.0.1:{http_port}/ingest",
                "timeout_s": 0.5,
            },
            "syslog": {"type": "syslog", "host": "127.0.0.1", "port": tcp_port, "timeout_s": 0.5},
            "traces": {
                "type": "otlp",
                "endpoint": f"http://127.0.0.1:{otlp_port}/v1/traces",
                "timeout_s": 0.5,
            },
        },
        retry={"attempts": 3, "initial_backoff_s": 1, "max_backoff_s": 4},
    )
    sleeps = Sleeps()
    down = exporter(ledger, cfg, home, sleeps)
    reports = down.run_once()
    down.close()
    assert [r.ok for r in reports] == [False, False, False]
    assert all(r.backlog == ledger.size() and r.last_seq is None for r in reports)
    assert sleeps.waits == [1.0, 2.0] * 3  # exponential backoff per sink
    first_size = ledger.size()
    # More happens while the receivers are down: the backlog grows.
    record_more(activity)
    assert ledger.size() > first_size
    still = exporter(ledger, cfg, home)
    assert [r.backlog for r in still.run_once(attempts=1)] == [ledger.size()] * 3
    still.close()
    state = StateStore(home / "export").load("siem")
    assert state.failures == 4 and "could not connect" in (state.last_error or "")
    # The receivers come back; a restarted exporter delivers the whole backlog.
    siem, syslog, otlp = HttpReceiver(), SyslogReceiver("tcp"), HttpReceiver(protobuf=True)
    siem.start(http_port)
    syslog.start(tcp_port)
    otlp.start(otlp_port)
    try:
        back = exporter(ledger, cfg, home)
        reports = back.run_once()
        back.close()
        assert [(r.ok, r.backlog) for r in reports] == [(True, 0)] * 3
        assert [e["metadata"]["sequence"] for e in siem.events()] == wanted(ledger)
        _wait_for(lambda: len(syslog.messages) == len(wanted(ledger)))
        seqs = [int(parse_rfc5424(m)["params"]["seq"]) for m in syslog.messages]
        assert seqs == wanted(ledger)
        assert otlp.spans(), "no spans reached the collector"
        assert StateStore(home / "export").load("siem").failures == 0
    finally:
        siem.stop()
        syslog.stop()
        otlp.stop()


def record_more(activity: Activity) -> None:
    gov = activity.gov
    gov.propose(
        activity.agent, case="CASE-2", action="enrich_ip_reputation", target="ip:192.0.2.44"
    )


def _wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the receiver")
        time.sleep(0.01)


def test_a_restart_resumes_after_the_cursor(
    activity: Activity, ledger: Ledger, home: Path, siem: HttpReceiver
) -> None:
    cfg = config({"siem": {"type": "http", "url": siem.url}})
    first = exporter(ledger, cfg, home)
    first.run_once()
    first.close()
    delivered = len(siem.events())
    record_more(activity)
    second = exporter(ledger, cfg, home)  # a new process: only the cursor file remains
    [report] = second.run_once()
    second.close()
    seqs = [e["metadata"]["sequence"] for e in siem.events()]
    assert seqs == wanted(ledger), "an entry was lost or sent twice"
    assert len(seqs) > delivered
    assert report.backlog == 0


def test_a_failure_mid_run_keeps_the_acknowledged_batches(
    activity: Activity, ledger: Ledger, home: Path, siem: HttpReceiver
) -> None:
    cfg = config({"siem": {"type": "http", "url": siem.url}}, batch_size=4, retry={"attempts": 2})
    siem.answers.extend([(200, {}), (200, {}), (503, {}), (503, {})])
    run = exporter(ledger, cfg, home)
    [report] = run.run_once()
    run.close()
    assert not report.ok and "HTTP 503" in (report.error or "")
    cursor = report.last_seq
    assert cursor is not None and 0 < cursor < ledger.size() - 1
    assert report.backlog == ledger.size() - cursor - 1
    again = exporter(ledger, cfg, home)
    again.run_once()
    again.close()
    seqs = [e["metadata"]["sequence"] for e in siem.events()]
    assert seqs == wanted(ledger)


def test_retry_after_is_honoured_up_to_the_backoff_cap(
    activity: Activity, ledger: Ledger, home: Path, siem: HttpReceiver
) -> None:
    cfg = config(
        {"siem": {"type": "http", "url": siem.url}},
        retry={"attempts": 4, "initial_backoff_s": 1, "max_backoff_s": 60},
    )
    siem.answers.extend([(429, {"Retry-After": "7"}), (503, {}), (429, {"Retry-After": "999"})])
    sleeps = Sleeps()
    run = exporter(ledger, cfg, home, sleeps)
    [report] = run.run_once()
    run.close()
    assert report.ok
    assert sleeps.waits == [7.0, 2.0, 60.0]


def test_one_sink_down_does_not_hold_back_another(
    activity: Activity, ledger: Ledger, home: Path, siem: HttpReceiver
) -> None:
    cfg = config(
        {
            "down": {"type": "http", "url": f"http://127.0.0.1:{free_port()}/x"},
            "siem": {"type": "http", "url": siem.url},
        },
        retry={"attempts": 1},
    )
    run = exporter(ledger, cfg, home)
    down, up = run.run_once()
    run.close()
    assert not down.ok and up.ok
    assert [e["metadata"]["sequence"] for e in siem.events()] == wanted(ledger)


def test_types_limit_what_a_sink_gets_but_the_cursor_passes_the_rest(
    activity: Activity, ledger: Ledger, home: Path, siem: HttpReceiver
) -> None:
    cfg = config({"siem": {"type": "http", "url": siem.url, "types": ["breakglass.invoked"]}})
    run = exporter(ledger, cfg, home)
    [report] = run.run_once()
    run.close()
    assert [e["metadata"]["event_code"] for e in siem.events()] == ["breakglass.invoked"]
    assert report.last_seq == ledger.size() - 1


def test_nothing_planted_reaches_any_receiver(
    activity: Activity,
    ledger: Ledger,
    home: Path,
    siem: HttpReceiver,
    syslog_tcp: SyslogReceiver,
    collector: HttpReceiver,
) -> None:
    every_type = sorted({e.type for e in ledger.entries()})
    cfg = config(
        {
            "siem": {"type": "http", "url": siem.url, "types": every_type},
            "syslog": {
                "type": "syslog",
                "host": "127.0.0.1",
                "port": syslog_tcp.port,
                "types": every_type,
            },
            "traces": {"type": "otlp", "endpoint": collector.url, "types": every_type},
        }
    )
    run = exporter(ledger, cfg, home)
    assert all(r.ok for r in run.run_once())
    run.close()
    _wait_for(lambda: len(syslog_tcp.messages) == ledger.size())
    received = [
        str(siem.posts).encode(),
        b"".join(syslog_tcp.messages),
        b"".join(p["request"].SerializeToString() for p in collector.posts),
    ]
    for data in received:
        for planted in PLANTED:
            assert planted.encode() not in data


def test_a_cursor_from_another_ledger_is_refused(
    activity: Activity, ledger: Ledger, home: Path, siem: HttpReceiver
) -> None:
    store = StateStore(home / "export")
    state = store.load("siem")
    state.last_seq, state.last_leaf = 3, "00" * 32
    store.save(state)
    cfg = config({"siem": {"type": "http", "url": siem.url}})
    with pytest.raises(ConfigError, match="belongs to another ledger"):
        exporter(ledger, cfg, home).run_once()
    state.last_seq = 10_000
    store.save(state)
    with pytest.raises(ConfigError, match="ledger has"):
        exporter(ledger, cfg, home).run_once()
    assert siem.posts == []


def test_one_exporter_per_home(home: Path) -> None:
    with (
        StateStore(home / "export").lock(),
        pytest.raises(Conflict, match="one exporter per AFFIDAVIT_HOME"),
        StateStore(home / "export").lock(),
    ):
        pass


def test_the_continuous_run_exports_new_entries_until_stopped(
    activity: Activity, ledger: Ledger, home: Path, siem: HttpReceiver
) -> None:
    cfg = config({"siem": {"type": "http", "url": siem.url}}, poll_interval_s=0.02)
    run = exporter(ledger, cfg, home)
    stop = threading.Event()
    worker = threading.Thread(target=run.run, args=(stop,))
    worker.start()
    try:
        _wait_for(lambda: len(siem.events()) == len(wanted(ledger)))
        record_more(activity)
        _wait_for(lambda: len(siem.events()) == len(wanted(ledger)))
    finally:
        stop.set()
        worker.join(5)
        run.close()
    assert not worker.is_alive()
    assert [e["metadata"]["sequence"] for e in siem.events()] == wanted(ledger)
