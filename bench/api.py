"""API benchmark: governed proposals/s over real HTTP, beside the same server's /healthz.

    python bench/api.py [--quick] [--json] [--profile] [--seconds S] [--workers N]
                        [--baseline-src DIR]

Starts ``affidavit serve`` (one uvicorn worker unless ``--workers``, embedded
SQLite, fresh AFFIDAVIT_HOME, rate limit off, auto-execute off so a proposal is exactly the
governed decision: authenticate, catalog and schema checks, asset lookup,
policy decision, ``proposal.created`` and ``authorization.issued`` durably
ledgered). A load generator runs in a separate process (this script with
``--load``: asyncio + httpx keep-alive connections, a fixed number of requests
in flight) over loopback, at concurrency 1, 16 and 64: first GET /healthz (the
same server's floor: routing, JSON, no database), then POST /v1/proposals
(tier-0 enrichment of a different IP each time, so no request repeats). The
ratio column is governed / healthz throughput. Both processes share the
machine's two cores, so the generator's own CPU is in every figure.

The same-run baseline for the governed route's cost is the in-process path the
route wraps: ``Governor.propose`` from 16 threads on a fresh ledger of its own
(same proposals, same settings), its proposals/s and process CPU per proposal,
beside the server's CPU per request at concurrency 16 (read from
``/proc/<pid>/stat`` around the run; the load generator's CPU is not in it).

``--baseline-src DIR`` serves another version of the code (a ``src/`` tree, e.g.
``git archive`` of the previous commit) the same way, on a fresh home, and
compares its concurrency-16 proposal rates (plain, and with an Idempotency-Key as
the SDK sends on every create) with this code's in the same run.

``--profile`` then serves the same app in this process (uvicorn in a thread, every
thread under its own cProfile: event loop, thread pool, ledger writer), runs the
concurrency-16 proposal load against it, and prints where the server's time goes
by component (self time; waits between threads left out) and the top functions.
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
    idempotent = path.startswith("idem:")  # as the SDK sends every create
    path = path.removeprefix("idem:")
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
                    extra = {"Idempotency-Key": f"bench-{n}"} if idempotent else None
                    r = await client.post(path, json=body, headers=extra)
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


def _serve(
    env: dict[str, str], port: int, src: Path | None = None, workers: int = 1
) -> subprocess.Popen[bytes]:
    args = ["serve", "--port", str(port), "--log-level", "error", "--workers", str(workers)]
    cmd = [sys.executable, "-m", "affidavit", *args]
    if src is not None:  # another version of the code (--baseline-src)
        env = {**env, "PYTHONPATH": str(src)}
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


def _setup_with(src: Path, home: Path) -> tuple[dict[str, str], str]:
    """``_setup`` run by the code in ``src`` (its own schema revision)."""
    script = (
        "import sys; from pathlib import Path; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "import api; print(api._setup(Path(sys.argv[3]))[1])"
    )
    here = str(Path(__file__).resolve().parent)
    out = subprocess.run(
        [sys.executable, "-c", script, str(src), here, str(home)],
        capture_output=True,
        text=True,
        check=True,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFIDAVIT_")}
    env.update(
        AFFIDAVIT_HOME=str(home),
        AFFIDAVIT_API_RATE="0",
        AFFIDAVIT_AUTO_EXECUTE="false",
        AFFIDAVIT_CHECKPOINT_INTERVAL="0",
    )
    return env, out.stdout.strip().splitlines()[-1]


def _cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` and its children (uvicorn's
    workers) so far (Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total + sum(_cpu_s(int(child)) or 0.0 for child in children)


def _generate(
    url: str, path: str, token: str, concurrency: int, seconds: float, server: int | None = None
) -> dict[str, Any]:
    before = None if server is None else _cpu_s(server)
    out = subprocess.run(
        [sys.executable, __file__, "--load", url, path, token, str(concurrency), str(seconds)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = dict(json.loads(out.stdout))
    after = None if server is None else _cpu_s(server)
    if before is not None and after is not None and result["requests"]:
        result["server_cpu_ms"] = (after - before) / result["requests"] * 1000
    return result


def _in_process(home: Path, threads: int, seconds: float) -> dict[str, Any]:
    """The baseline: Governor.propose from ``threads`` threads, on its own fresh ledger."""
    import threading

    from affidavit.config import load_settings
    from affidavit.governance.governor import Governor

    env, token = _setup(home)
    latencies: list[float] = []
    counter = iter(range(10**9))
    with Governor.open(load_settings(env)) as gov:
        deadline = time.perf_counter() + seconds

        def worker() -> None:
            while time.perf_counter() < deadline:
                n = next(counter)
                start = time.perf_counter()
                gov.propose(
                    token,
                    case=f"BENCH-{n % 200}",
                    action="enrich_ip_reputation",
                    target=f"ip:10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}",
                    confidence=0.9,
                )
                latencies.append(time.perf_counter() - start)

        cpu, started = time.process_time(), time.perf_counter()
        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        gov.ledger.verify()
    p50, p99 = percentiles(latencies)
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": p50 / 1000,
        "p99_ms": p99 / 1000,
        "cpu_ms": cpu / len(latencies) * 1000,
        "requests": len(latencies),
    }


_API_COMPONENTS = (
    ("HTTP server (uvicorn, httptools/h11, event loop)", ("/uvicorn/", "/h11/", "httptools")),
    ("asyncio / anyio (tasks, thread hand-offs)", ("/asyncio/", "/anyio/", "uvloop")),
    ("FastAPI / Starlette / pydantic", ("/fastapi/", "/starlette/", "/pydantic", "pydantic_core")),
    ("affidavit.api (auth, idempotency, JSON)", ("/affidavit/api/",)),
)


def _profile_server(env: dict[str, str], token: str, seconds: float) -> None:
    """Serve in this process with every thread profiled; print where the time goes."""
    import threading

    import uvicorn

    from governance import _component, _profiled_threads

    os.environ.update(env)
    from affidavit.api import app_from_environment

    with _profiled_threads() as profiles:
        app = app_from_environment()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, log_level="error", lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        result = _generate(url, "/v1/proposals", token, 16, seconds)
        server.should_exit = True
        thread.join(30)
    stats = pstats.Stats(profiles[0])
    for p in profiles[1:]:
        stats.add(p)
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    busy: dict[str, float] = {}
    for key, (_, _, tottime, _, _) in raw.items():
        text = f"{key[0]}:{key[2]}"
        name = next((n for n, marks in _API_COMPONENTS if any(m in text for m in marks)), None)
        name = name or _component(key)
        if name is not None:
            busy[name] = busy.get(name, 0.0) + tottime
    total = sum(busy.values())
    n = result["requests"]
    print(f"\nserver profile: {n} POST /v1/proposals at concurrency 16, every thread, self time")
    print("(the profiler slows many-small-call code most: read the shares as a ranking)")
    for name, t in sorted(busy.items(), key=lambda kv: -kv[1]):
        print(f"  {t / n * 1000:7.3f} ms/request  {t / total:6.1%}  {name}")
    print("\ntop functions by self time:")
    stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--workers", type=int, default=1, help="serve --workers")
    parser.add_argument(
        "--baseline-src",
        type=Path,
        default=None,
        help="a src/ tree of other code (e.g. the previous commit) served the same way",
    )
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
        server = _serve(env, port, workers=args.workers)
        figures["workers"] = args.workers
        try:
            for concurrency in CONCURRENCY:
                health = _generate(url, "/healthz", token, concurrency, seconds, server.pid)
                governed = _generate(url, "/v1/proposals", token, concurrency, seconds, server.pid)
                figures["runs"][str(concurrency)] = {"healthz": health, "proposals": governed}
            figures["idempotent_16"] = _generate(
                url, "idem:/v1/proposals", token, 16, seconds, server.pid
            )
        finally:
            _stop(server)
        if args.baseline_src is not None:
            env_b, token_b = _setup_with(args.baseline_src.resolve(), Path(tmp) / "baseline")
            port = _free_port()
            other = _serve(env_b, port, args.baseline_src.resolve(), args.workers)
            try:
                url_b = f"http://127.0.0.1:{port}"
                figures["baseline_src"] = {
                    "proposals": _generate(url_b, "/v1/proposals", token_b, 16, seconds, other.pid),
                    "idempotent": _generate(
                        url_b, "idem:/v1/proposals", token_b, 16, seconds, other.pid
                    ),
                }
            finally:
                _stop(other)
        figures["in_process"] = _in_process(Path(tmp) / "in-process", 16, seconds)
        if args.profile:
            _profile_server(env, token, seconds)
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
    g16, inproc = figures["runs"]["16"]["proposals"], figures["in_process"]
    rows.append(
        (
            "c=16: proposals/s (p50 / p99 ms)",
            f"{g16['rps']:,.0f} ({g16['p50_ms']:.1f} / {g16['p99_ms']:.1f})",
            f"in-process Governor.propose, 16 threads: {inproc['rps']:,.0f} "
            f"({inproc['p50_ms']:.1f} / {inproc['p99_ms']:.1f})",
            f"{g16['rps'] / inproc['rps']:.2f}",
        )
    )
    if "server_cpu_ms" in g16:
        rows.append(
            (
                "c=16: server CPU per proposal",
                f"{g16['server_cpu_ms']:.2f} ms",
                f"in-process Governor.propose: {inproc['cpu_ms']:.2f} ms",
                f"{g16['server_cpu_ms'] / inproc['cpu_ms']:.2f}",
            )
        )
        h16 = figures["runs"]["16"]["healthz"]
        rows.append(
            (
                "c=16: server CPU per /healthz",
                f"{h16.get('server_cpu_ms', 0):.2f} ms",
                "",
                "",
            )
        )
    idem = figures["idempotent_16"]
    rows.append(
        (
            "c=16: proposals with Idempotency-Key/s",
            f"{idem['rps']:,.0f} ({idem['p50_ms']:.1f} / {idem['p99_ms']:.1f})",
            f"without the key: {g16['rps']:,.0f}",
            f"{idem['rps'] / g16['rps']:.2f}",
        )
    )
    if "baseline_src" in figures:
        old = figures["baseline_src"]
        for name, new, before in (
            ("c=16: proposals/s", g16, old["proposals"]),
            ("c=16: proposals with Idempotency-Key/s", idem, old["idempotent"]),
        ):
            rows.append(
                (
                    f"{name} (vs --baseline-src)",
                    f"{new['rps']:,.0f} ({new['p50_ms']:.1f} / {new['p99_ms']:.1f})",
                    f"baseline code: {before['rps']:,.0f} "
                    f"({before['p50_ms']:.1f} / {before['p99_ms']:.1f})",
                    f"{new['rps'] / before['rps']:.2f}",
                )
            )
    print_table("governed proposals over HTTP vs the same server's /healthz", rows)


if __name__ == "__main__":
    main()
