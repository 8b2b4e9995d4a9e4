"""Console benchmark: the approval queue page with 10,000 pending proposals, beside /healthz.

    python bench/console.py [--quick] [--json] [--pending N] [--requests N]

Prepares a fresh AFFIDAVIT_HOME (embedded SQLite) holding N pending proposals
(tier-2 isolations of distinct hosts, proposed by an agent through the
Governor), starts ``affidavit serve`` (one uvicorn worker, its own process),
signs an approver in to the console and then, one request at a time over
loopback, alternates GET /console/queue (the full HTML page: session
re-authentication, the queue projection brought up to date from the ledger,
the 100 most urgent rows sorted by expiry and tier with criticality and owner)
with GET /healthz on the same server. The first queue request (which loads the
projection) is reported apart as "cold". p50/p99 are per request, client side.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit_json, machine, percentiles, print_table

TARGET_P99_MS = 100.0


def _setup(home: Path, pending: int) -> tuple[dict[str, str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFIDAVIT_")}
    env.update(
        AFFIDAVIT_HOME=str(home),
        AFFIDAVIT_API_RATE="0",
        AFFIDAVIT_CHECKPOINT_INTERVAL="0",
        AFFIDAVIT_CONSOLE_SECURE_COOKIES="false",
    )
    from affidavit.config import load_settings
    from affidavit.governance.governor import Governor
    from affidavit.governance.identities import Identity

    with Governor.open(load_settings(env)) as gov:
        gov.add_identity(Identity(id="olivia", kind="human", roles=("approver:ir_lead",)))
        approver = gov.add_identity(
            Identity(id="alice", kind="human", roles=("approver:ir_lead",))
        )[1]
        agent = gov.add_identity(
            Identity(id="bench-agent", kind="agent", owner="olivia", scopes=("isolate_host",))
        )[1]

        def one(i: int) -> None:
            gov.propose(
                agent,
                case=f"bench-{i % 200}",
                action="isolate_host",
                target=f"host:bench-{i:05d}",
                confidence=0.9,
                rationale="bench",
            )

        # Concurrent proposers share the ledger's group commit.
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, range(pending)))
    return env, approver


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    import httpx

    cmd = [sys.executable, "-m", "affidavit", "serve", "--port", str(port), "--log-level", "error"]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(400):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("affidavit serve did not start")


def _measure(url: str, token: str, requests: int) -> dict[str, Any]:
    import httpx

    with httpx.Client(base_url=url, timeout=60) as c:
        form = c.get("/console/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf is not None
        signed = c.post("/console/login", data={"csrf_token": csrf.group(1), "token": token})
        assert signed.status_code == 303, signed.text
        start = time.perf_counter()
        first = c.get("/console/queue")
        cold = time.perf_counter() - start
        assert first.status_code == 200
        assert "pending" in first.text
        queue: list[float] = []
        health: list[float] = []
        for _ in range(requests):
            start = time.perf_counter()
            r = c.get("/console/queue")
            queue.append(time.perf_counter() - start)
            assert r.status_code == 200
            start = time.perf_counter()
            h = c.get("/healthz")
            health.append(time.perf_counter() - start)
            assert h.status_code == 200
        shown = len(re.findall(r"<tr>", r.text)) - 1
        total = re.search(r"<strong>(\d+)</strong> pending", r.text)
    q50, q99 = percentiles(queue)
    h50, h99 = percentiles(health)
    return {
        "requests": requests,
        "pending": int(total.group(1)) if total else None,
        "rows_shown": shown,
        "page_bytes": len(r.content),
        "cold_ms": cold * 1e3,
        "queue_p50_ms": q50 / 1e3,
        "queue_p99_ms": q99 / 1e3,
        "healthz_p50_ms": h50 / 1e3,
        "healthz_p99_ms": h99 / 1e3,
        "target_p99_ms": TARGET_P99_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=None)
    args = parser.parse_args()
    requests = args.requests or (200 if args.quick else 1000)
    figures: dict[str, Any] = {"machine": machine()}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        env, token = _setup(Path(tmp) / "home", args.pending)
        figures["setup_s"] = time.perf_counter() - started
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        server = _serve(env, port)
        try:
            figures["queue"] = _measure(f"http://127.0.0.1:{port}", token, requests)
        finally:
            server.terminate()
            server.wait(timeout=30)
            if server.stderr is not None:
                server.stderr.close()
    if args.json:
        emit_json(figures)
        return
    q = figures["queue"]
    print_table(
        f"console queue page, {q['pending']:,} pending ({q['rows_shown']} rows shown, "
        f"{q['page_bytes'] // 1024} KiB), {q['requests']} sequential requests",
        [
            (
                "p50 ms",
                f"{q['queue_p50_ms']:.1f}",
                f"/healthz {q['healthz_p50_ms']:.1f}",
                f"{q['queue_p50_ms'] / q['healthz_p50_ms']:.1f}",
            ),
            (
                "p99 ms",
                f"{q['queue_p99_ms']:.1f} (target <= {TARGET_P99_MS:.0f})",
                f"/healthz {q['healthz_p99_ms']:.1f}",
                f"{q['queue_p99_ms'] / q['healthz_p99_ms']:.1f}",
            ),
            ("first request (loads the projection) ms", f"{q['cold_ms']:.0f}", "", ""),
        ],
    )


if __name__ == "__main__":
    main()
