"""API benchmark: governed proposals/s over real HTTP, beside the same server's /healthz.

    python bench/api.py [--quick] [--json] [--profile] [--seconds S]

Starts ``affidavit serve`` (one uvicorn worker, embedded SQLite, fresh
AFFIDAVIT_HOME, rate limit off, auto-execute off so a proposal is exactly the
governed decision: authenticate, catalog and schema checks, asset lookup,
policy decision, ``proposal.created`` and ``authorization.issued`` durably
ledgered). A load generator runs in a separate process (this script with
``--load``: asyncio + httpx keep-alive connections, a fixed number of requests
in flight) over loopback, at concurrency 1, 16 and 64: first GET /healthz (the
same server's floor: routing, JSON, no database), then POST /v1/proposals
(tier-0 enrichment of a different IP each time, so no request repeats). The
ratio column is governed / healthz throughput. Both processes share the
machine's two cores, so the generator's own CPU is in every figure.

``--profile`` runs the server under cProfile for the concurrency-16 proposal
run and prints the top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit_json, machine, percentiles, print_table

CONCURRENCY = (1, 16, 64)


async def _load(
    url: str, path: str, token: str, concurrency: int, seconds: float
) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors = 0
    counter = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=60
    ) as client:
        deadline = time.perf_counter() + seconds

        async def worker(w: int) -> None:
            nonlocal errors, counter
            while time.perf_counter() < deadline:
                counter += 1
                n = counter
                start = time.perf_counter()
                if path == "/healthz":
                    r = await client.get(path)
                else:
                    body = {
                        "case": f"BENCH-{n % 200}",
                        "action": "enrich_ip_reputation",
                        "target": f"ip:10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}",
                        "confidence": 0.9,
                    }
                    r = await client.post(path, json=body)
                latencies.append(time.perf_counter() - start)
                if r.status_code >= 300:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - started
    p50, p99 = percentiles(latencies)
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": p50 / 1000,
        "p99_ms": p99 / 1000,
        "errors": errors,
        "requests": len(latencies),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _setup(home: Path) -> tuple[dict[str, str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFIDAVIT_")}
    env.update(
        AFFIDAVIT_HOME=str(home),
        AFFIDAVIT_API_RATE="0",
        AFFIDAVIT_CHECKPOINT_INTERVAL="0",
    )
    from affidavit.config import load_settings
    from affidavit.governance.governor import Governor
    from affidavit.governance.identities import Identity

    with Governor.open(load_settings(env)) as gov:
        gov.publish_configuration("authorizations: {auto_execute: false}\n")
        gov.add_identity(Identity(id="olivia", kind="human", roles=("approver:ir_lead",)))
        agent = Identity(
            id="bench-agent", kind="agent", owner="olivia", scopes=("enrich_ip_reputation",)
        )
        token = gov.add_identity(agent)[1]
    return env, token


def _serve(env: dict[str, str], port: int, profile: Path | None) -> subprocess.Popen[bytes]:
    args = ["serve", "--port", str(port), "--log-level", "error"]
    cmd = [sys.executable, "-m", "affidavit", *args]
    if profile is not None:
        # The event loop's thread only (routing, validation, JSON); Governor calls run in
        # the thread pool: bench/governance.py --profile shows where their time goes.
        script = (
            "import cProfile, sys\nfrom affidavit.cli import app\n"
            "p = cProfile.Profile(); p.enable()\n"
            "try:\n    app(args=sys.argv[2:], standalone_mode=False)\n"
            "finally:\n    p.disable(); p.dump_stats(sys.argv[1])\n"
        )
        cmd = [sys.executable, "-c", script, str(profile), *args]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import httpx

    for _ in range(400):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the server did not start: " + process.stderr.read().decode()[-2000:])  # type: ignore[union-attr]


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)
    if process.stderr is not None:
        process.stderr.close()


def _generate(url: str, path: str, token: str, concurrency: int, seconds: float) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--load", url, path, token, str(concurrency), str(seconds)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--load", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        url, path, token, concurrency, seconds = args.load
        print(json.dumps(asyncio.run(_load(url, path, token, int(concurrency), float(seconds)))))
        return
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    figures: dict[str, Any] = {"machine": machine(), "seconds_per_point": seconds, "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        env, token = _setup(Path(tmp) / "home")
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = _serve(env, port, None)
        try:
            for concurrency in CONCURRENCY:
                health = _generate(url, "/healthz", token, concurrency, seconds)
                governed = _generate(url, "/v1/proposals", token, concurrency, seconds)
                figures["runs"][str(concurrency)] = {"healthz": health, "proposals": governed}
        finally:
            _stop(server)
        if args.profile:
            stats_file = Path(tmp) / "server.prof"
            port = _free_port()
            profiled = _serve(env, port, stats_file)
            try:
                figures["profiled"] = _generate(
                    f"http://127.0.0.1:{port}", "/v1/proposals", token, 16, seconds
                )
            finally:
                _stop(profiled)
            if not args.json:
                print("\nserver profile, POST /v1/proposals at concurrency 16 (cumulative):")
                pstats.Stats(str(stats_file)).sort_stats("cumulative").print_stats(30)
    if args.json:
        emit_json(figures)
        return
    rows = []
    for concurrency, run in figures["runs"].items():
        g, h = run["proposals"], run["healthz"]
        rows.append(
            (
                f"c={concurrency}: req/s (p50 / p99 ms)",
                f"{g['rps']:,.0f} ({g['p50_ms']:.1f} / {g['p99_ms']:.1f})",
                f"/healthz {h['rps']:,.0f} ({h['p50_ms']:.1f} / {h['p99_ms']:.1f})",
                f"{g['rps'] / h['rps']:.2f}",
            )
        )
        if g["errors"] or h["errors"]:
            rows.append((f"c={concurrency}: errors", str(g["errors"]), str(h["errors"]), ""))
    print_table("governed proposals over HTTP vs the same server's /healthz", rows)


if __name__ == "__main__":
    main()
