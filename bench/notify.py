"""Notification benchmark: the decision path with and without the notifier, and its throughput.

    python bench/notify.py [--quick] [--json]

Propose latency is ``Governor.propose`` of tier-2 requests (each needing
approval, so each one a notification), one caller, on SQLite in a temporary
directory, as the tests build the Governor. Measured three ways in one run: with
no notifier (the baseline), with ``Notifier.run`` in a thread polling every
10 ms and delivering each request to a Slack-format receiver on 127.0.0.1, and
with that receiver hung (it holds every request until the channel's 5 s
timeout). The notifier never runs inside ``propose``; this measures what it
costs beside it (reads of the ledger database and the CPU it shares).

Throughput: reading and queueing a backlog of ledger entries (the notifier's
``_scan``) beside iterating the same entries with ``LedgerReader.entries`` alone;
and delivering a backlog of pending requests one message each
(``Notifier.run_once``: relevance check, render, POST, bookkeeping) beside raw
POSTs of the same number of Slack bodies with one httpx client to the same
receiver.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit_json, machine, percentiles, print_table
from affidavit.config import load_settings
from affidavit.connectors import InMemoryConnector
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from affidavit.ledger.log import Ledger
from affidavit.notify import Notifier, NotifyState, parse_notify_config

CONNECTORS = ("intel", "idp", "edr", "case", "ticketing", "webhook", "firewall", "email")


class _Receiver:
    def __init__(self) -> None:
        self.count = 0
        self.go = threading.Event()
        self.go.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.go.wait(30)
                receiver.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slack"

    def stop(self) -> None:
        self.go.set()
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def _world(home: Path) -> Iterator[tuple[Governor, str, str]]:
    settings = load_settings({"AFFIDAVIT_HOME": str(home), "AFFIDAVIT_CHECKPOINT_INTERVAL": "0"})
    settings.ensure_home()
    connectors = {name: InMemoryConnector(name) for name in CONNECTORS}
    gov = Governor(Ledger.open(settings), settings, connectors=connectors)  # type: ignore[arg-type]
    approver = gov.add_identity(Identity(id="alice", kind="human", roles=("approver:x",)))[1]
    agent = gov.add_identity(
        Identity(id="triage", kind="agent", owner="alice", scopes=("isolate_host",))
    )[1]
    try:
        yield gov, agent, approver
    finally:
        gov.close()


def _notifier(gov: Governor, home: Path, url: str, name: str) -> tuple[Notifier, NotifyState]:
    config = parse_notify_config(
        {
            "console_url": "https://console.example.org",
            "channels": {"slack": {"type": "slack", "url": url, "timeout_s": 5}},
            "roles": {"approver:x": {"channels": ["slack"]}},
            "fallback": {"channels": ["slack"]},
            "digest": {"threshold": 100_000, "window": 60},
        },
        environ={},
    )
    state = NotifyState(home / f"{name}.db")
    return Notifier(config, state, gov.ledger, gov), state


def _propose_latencies(gov: Governor, agent: str, n: int, tag: str) -> list[float]:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        gov.propose(agent, case=f"B-{tag}", action="isolate_host", target=f"host:{tag}-{i}")
        samples.append(time.perf_counter() - start)
    return samples


def measure(n: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"machine": machine(), "n": n}
    receiver = _Receiver()
    try:
        with tempfile.TemporaryDirectory() as tmp, _world(Path(tmp)) as (gov, agent, _):
            home = Path(tmp)
            _propose_latencies(gov, agent, 20, "warm")
            base = percentiles(_propose_latencies(gov, agent, n, "base"))
            for mode in ("live", "hung"):
                notifier, state = _notifier(gov, home, receiver.url, mode)
                state.record_scan(gov.ledger.size(), [], [], gov.clock())  # only new work
                if mode == "hung":
                    receiver.go.clear()
                stop = threading.Event()
                worker = threading.Thread(
                    target=notifier.run, args=(stop,), kwargs={"interval_s": 0.01}
                )
                worker.start()
                figures[f"propose_{mode}_us"] = percentiles(_propose_latencies(gov, agent, n, mode))
                stop.set()
                receiver.go.set()
                worker.join()
                notifier.close()
                state.close()
            figures["propose_base_us"] = base

            # throughput over the backlog the runs above left: 4 x n requests
            size = gov.ledger.size()
            start = time.perf_counter()
            raw = sum(1 for _ in gov.ledger.entries())
            figures["raw_scan_per_s"] = raw / (time.perf_counter() - start)
            notifier, state = _notifier(gov, home, receiver.url, "scan")
            start = time.perf_counter()
            from affidavit.notify.worker import RoundSummary

            summary = RoundSummary()
            while state.cursor() < size:
                notifier._scan(gov.clock(), summary)
            figures["scan_per_s"] = summary.scanned / (time.perf_counter() - start)
            pending = len(state.deliveries(["pending"], limit=1_000_000))
            start = time.perf_counter()
            sent = notifier.run_once().sent
            figures["deliver_per_s"] = sent / (time.perf_counter() - start)
            figures["delivered"], figures["pending_backlog"] = sent, pending
            notifier.close()
            state.close()

            body = b'{"text": "Approval needed", "blocks": []}' * 10
            with httpx.Client(trust_env=False) as client:
                start = time.perf_counter()
                for _ in range(sent):
                    client.post(receiver.url, content=body)
                figures["raw_post_per_s"] = sent / (time.perf_counter() - start)
    finally:
        receiver.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures = measure(100 if args.quick else 400)
    if args.json:
        emit_json(figures)
        return
    base = figures["propose_base_us"]
    rows = [
        (
            f"propose p50 / p99, notifier {mode}",
            "{:.0f} / {:.0f} µs".format(*figures[f"propose_{key}_us"]),
            "{:.0f} / {:.0f} µs without a notifier".format(*base),
            f"{figures[f'propose_{key}_us'][0] / base[0]:.2f}x",
        )
        for mode, key in (("delivering", "live"), ("stuck on a hung receiver", "hung"))
    ]
    rows += [
        (
            "ledger entries read and queued/s",
            f"{figures['scan_per_s']:,.0f}",
            f"{figures['raw_scan_per_s']:,.0f} LedgerReader.entries/s",
            f"{figures['scan_per_s'] / figures['raw_scan_per_s']:.2f}x",
        ),
        (
            f"notifications delivered/s ({figures['delivered']} in one round)",
            f"{figures['deliver_per_s']:,.0f}",
            f"{figures['raw_post_per_s']:,.0f} raw POSTs/s",
            f"{figures['deliver_per_s'] / figures['raw_post_per_s']:.2f}x",
        ),
    ]
    print_table(f"Notifications, SQLite, {figures['n']} proposals per run", rows)


if __name__ == "__main__":
    main()
