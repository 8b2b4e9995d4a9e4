"""Export benchmark: events/s delivered to local receivers, beside reading the entries alone.

    python bench/export.py [--quick] [--json]

A ledger (SQLite, temporary directory) is filled with a governance-like mix of
entries as the Governor writes them: per case one model step, a proposal with
its decision, an approval, an authorization, execution started and finished
(8 entries per case, 5 of them of the types exported by default, free text
that the masking must scan). Then, each from a fresh cursor:

* baseline: ``LedgerReader.entries()`` over the whole ledger, nothing else;
* OCSF mapping and masking alone (``to_ocsf`` + the secret masking + JSON), no I/O;
* HTTP JSON lines to a receiver on 127.0.0.1 (``Exporter.run_once``, batches of
  500 entries, one POST each), with masking and without (``mask: []``);
* syslog over TCP (octet counting) to a receiver on 127.0.0.1;
* OTLP/HTTP spans to a receiver on 127.0.0.1 that reads the protobuf request.

Each figure is events (or spans) per second of wall time, best of three runs;
the ratio column compares it with the baseline read in the same run.
"""

from __future__ import annotations

import argparse
import json
import socketserver
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from _common import emit_json, machine, print_table
from affidavit.config import load_settings
from affidavit.export import ExportConfig, Exporter, Redactor, StateStore, build_sinks, to_ocsf
from affidavit.ledger.entry import Entry
from affidavit.ledger.log import Ledger
from affidavit.protect import DataClass

REPEATS = 3
_TIME = "2026-12-07T10:{m:02d}:{s:02d}.{us:06d}Z"


def _t(n: int) -> str:
    return _TIME.format(m=(n // 60) % 60, s=n % 60, us=n % 1_000_000)


def _case(i: int) -> list[Entry]:
    case = f"CASE-{i}"
    step, prop, auth = f"step_{i:08x}", f"prop_{i:08x}", f"auth_{i:08x}"
    digest = f"{i:064x}"
    decision = {
        "effect": "require_approval",
        "approvals_required": 1,
        "approver_roles": [],
        "require_evidence_view": False,
        "expires_after_s": 3600,
        "bundle_hash": "ab" * 32,
        "determining_policies": ["tier-2-containment"],
        "reasons": ["policy 'tier-2-containment': Reversible containment needs one approver."],
    }
    return [
        Entry(
            "step.recorded",
            "agent:triage",
            {
                "step": step,
                "agent": "triage",
                "owner": "olivia",
                "model": "soc-llm",
                "model_version": "2026-10",
                "params": {},
                "parents": [],
                "handoff_from": [],
                "data_classes": ["internal_identifier"],
                "data_policy": "cd" * 32,
                "treatments": {},
                "prompt": digest,
                "output": digest,
                "inputs": [],
            },
            case,
            (),
            _t(8 * i),
        ),
        Entry(
            "proposal.created",
            "agent:triage",
            {
                "proposal": {
                    "id": prop,
                    "step": step,
                    "proposer": "triage",
                    "action": "isolate_host",
                    "target": f"host:pc-{i:05d}",
                    "params": {"comment": "beaconing to C2"},
                    "action_hash": digest,
                    "confidence": 0.9,
                    "rationale": f"host pc-{i:05d} beacons to 203.0.113.7 every 60 s",
                    "evidence": [],
                    "expires_at": None,
                },
                "decision": decision,
                "decision_inputs": {"context": {"tier": 2, "connector": "edr"}},
            },
            case,
            (),
            _t(8 * i + 1),
        ),
        Entry(
            "approval.granted",
            "human:alice",
            {"proposal": prop, "rationale": "confirmed in proxy logs"},
            case,
            (),
            _t(8 * i + 2),
        ),
        Entry(
            "authorization.issued",
            "system:governor",
            {
                "proposal": prop,
                "authorization": auth,
                "action_hash": digest,
                "bundle_hash": "ab" * 32,
                "via": "approvals",
                "expires_at": _t(8 * i + 900),
            },
            case,
            (),
            _t(8 * i + 3),
        ),
        Entry(
            "execution.started",
            "system:executor",
            {
                "proposal": prop,
                "execution": auth,
                "authorization": auth,
                "action_hash": digest,
                "connector": "edr",
            },
            case,
            (),
            _t(8 * i + 4),
        ),
        Entry(
            "execution.finished",
            "system:executor",
            {
                "proposal": prop,
                "execution": auth,
                "status": "succeeded",
                "detail": {"host": f"pc-{i:05d}", "isolated": True, "changed": True},
                "external_ref": None,
            },
            case,
            (),
            _t(8 * i + 5),
        ),
        Entry("evidence.viewed", "human:alice", {"proposal": prop}, case, (), _t(8 * i + 6)),
        Entry(
            "disposition.recorded",
            "human:alice",
            {"proposal": prop, "outcome": "contained"},
            case,
            (),
            _t(8 * i + 7),
        ),
    ]


def fill(home: Path, cases: int) -> Ledger:
    settings = load_settings(
        {
            "AFFIDAVIT_HOME": str(home),
            "AFFIDAVIT_CHECKPOINT_INTERVAL": "0",
            "AFFIDAVIT_CHECKPOINT_EVERY": "0",
        }
    )
    ledger = Ledger.open(settings)
    for start in range(0, cases, 250):
        batch = [e for i in range(start, min(cases, start + 250)) for e in _case(i)]
        ledger.append_many(batch)
    return ledger


class _Intake(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Syslog(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        while self.rfile.read(65536):
            pass


def _serve(server: socketserver.BaseServer) -> None:
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()


def best(fn: Callable[[], float]) -> float:
    return max(fn() for _ in range(REPEATS))


def read_rate(ledger: Ledger) -> float:
    start = time.perf_counter()
    count = sum(1 for _ in ledger.entries())
    return count / (time.perf_counter() - start)


def map_rate(ledger: Ledger, types: frozenset[str]) -> float:
    redactor = Redactor({DataClass.SECRET, DataClass.CREDENTIAL})
    start = time.perf_counter()
    count = 0
    for entry in ledger.entries():
        if entry.type in types:
            json.dumps(redactor.json(to_ocsf(entry, "bench")), separators=(",", ":"))
            count += 1
    return count / (time.perf_counter() - start)


def export_rate(ledger: Ledger, work: Path, sink: dict[str, Any], **top: Any) -> tuple[float, int]:
    config = ExportConfig.parse({"sinks": {"bench": sink}, **top})
    state = work / f"state-{time.perf_counter_ns()}"
    exporter = Exporter(ledger, config, build_sinks(config, ledger.origin), StateStore(state))
    start = time.perf_counter()
    [report] = exporter.run_once()
    elapsed = time.perf_counter() - start
    exporter.close()
    if not report.ok:
        raise SystemExit(f"export to the local receiver failed: {report.error}")
    return report.events / elapsed, report.events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    cases = 500 if args.quick else 5_000
    http = ThreadingHTTPServer(("127.0.0.1", 0), _Intake)
    http.daemon_threads = True
    syslog = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Syslog)
    syslog.daemon_threads = True
    _serve(http)
    _serve(syslog)
    url = f"http://127.0.0.1:{http.server_address[1]}"
    with tempfile.TemporaryDirectory(prefix="affidavit-bench-export-") as tmp:
        work = Path(tmp)
        ledger = fill(work / "home", cases)
        try:
            types = (
                ExportConfig.parse({"sinks": {"x": {"type": "http", "url": url}}}).sinks[0].types
            )
            figures: dict[str, Any] = {
                "machine": machine(),
                "ledger_entries": ledger.size(),
                "exported_entries": sum(1 for e in ledger.entries() if e.type in types),
                "read_entries_per_s": best(lambda: read_rate(ledger)),
                "ocsf_map_and_mask_per_s": best(lambda: map_rate(ledger, types)),
            }
            runs = {
                "http_events_per_s": ({"type": "http", "url": f"{url}/ingest"}, {}),
                "http_events_per_s_no_masking": (
                    {"type": "http", "url": f"{url}/ingest"},
                    {"mask": []},
                ),
                "syslog_tcp_events_per_s": (
                    {"type": "syslog", "host": "127.0.0.1", "port": syslog.server_address[1]},
                    {},
                ),
                "otlp_spans_per_s": ({"type": "otlp", "endpoint": f"{url}/v1/traces"}, {}),
            }
            for name, (sink, top) in runs.items():
                figures[name] = best(lambda s=sink, t=top: export_rate(ledger, work, s, **t)[0])
        finally:
            ledger.close()
            http.shutdown()
            syslog.shutdown()
    if args.json:
        emit_json(figures)
        return
    base = figures["read_entries_per_s"]
    rows = [("read ledger entries/s (baseline)", f"{base:,.0f}", f"{base:,.0f}", "1.00x")]
    labels = {
        "ocsf_map_and_mask_per_s": "OCSF map + mask events/s (no I/O)",
        "http_events_per_s": "HTTP JSON lines events/s",
        "http_events_per_s_no_masking": "HTTP JSON lines events/s, mask: []",
        "syslog_tcp_events_per_s": "syslog TCP events/s",
        "otlp_spans_per_s": "OTLP/HTTP spans/s",
    }
    for key, label in labels.items():
        value = figures[key]
        rows.append((label, f"{value:,.0f}", f"{base:,.0f} entries read/s", f"{value / base:.2f}x"))
    print_table(
        f"Export, {figures['ledger_entries']:,} ledger entries "
        f"({figures['exported_entries']:,} of exported types), SQLite",
        rows,
    )


if __name__ == "__main__":
    main()
