"""Ledger benchmark: durable appends, full verification, proofs, verification memory.

    python bench/ledger.py [--quick] [--json] [--entries N] [--database-url URL]

Every figure is measured beside a same-run baseline on the same machine:
appends beside raw durable single-row SQLite inserts of rows of the same size;
verification beside plain ``hashlib.sha256`` over the same entry bytes.
Verification memory is the peak RSS of a fresh process verifying ledgers of two
sizes: streaming means the larger ledger needs no more memory.

SQLite (in a temporary directory) is always measured. With ``--database-url
postgresql+psycopg://...`` the same figures are measured on PostgreSQL in the
same run, each in a scratch schema dropped afterwards, beside pgbench's
simple-update throughput (``pgbench -N``, 16 clients) on a scratch database of
the same server as the database's own baseline.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit_json, machine, percentiles, print_table, rate
from _postgres import pgbench_tps, scratch_schema, server_version
from affidavit.config import load_settings
from affidavit.ledger.entry import Entry
from affidavit.ledger.log import Ledger
from affidavit.ledger.verify import verify_ledger

BENCH = Path(__file__).resolve().parent
BODY = {
    "alert_id": "da637292082891366787_322081178",
    "vendor": "defender",
    "severity": "high",
    "title": "Suspicious PowerShell command line",
    "entities": [{"kind": "host", "value": "pc-sales-0215"}],
}


def _entry(i: int) -> Entry:
    return Entry(type="alert.ingested", actor="agent:triage", case=f"CASE-{i % 97}", body=BODY)


def _open(home: Path, url: str) -> Ledger:
    env = {
        "AFFIDAVIT_HOME": str(home),
        "AFFIDAVIT_DATABASE_URL": url,
        "AFFIDAVIT_CHECKPOINT_INTERVAL": "0",
    }
    return Ledger.open(load_settings(env))


@contextmanager
def fresh_database(server: str | None, home: Path) -> Iterator[str]:
    """An empty database: SQLite in ``home`` (server None), or a scratch schema."""
    if server is None:
        yield f"sqlite:///{home / 'affidavit.db'}"
        return
    with scratch_schema(server) as url:
        yield url


def bench_appends(home: Path, url: str, threads: int, count: int) -> float:
    with _open(home, url) as ledger:
        ledger.append(_entry(0))  # open, create key, warm the writer

        def run(n: int) -> None:
            for i in range(count // threads):
                ledger.append(_entry(n * count + i))

        workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]

        def go() -> None:
            for w in workers:
                w.start()
            for w in workers:
                w.join()

        return rate(count // threads * threads, go)


_APPEND_CHILD = """
import json, sys, threading, time
sys.path.insert(0, sys.argv[1])
from ledger import _entry, _open
from pathlib import Path

home, url, threads, count = Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
with _open(home, url) as ledger:
    ledger.append(_entry(0))  # connected and warm before the clock starts
    print("ready", flush=True)
    sys.stdin.readline()

    def run(n):
        for i in range(count // threads):
            ledger.append(_entry(n * count + i))

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    start = time.time()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(json.dumps([start, time.time(), count // threads * threads]), flush=True)
"""


def bench_appends_processes(
    home: Path, url: str, processes: int, threads: int, count: int
) -> float:
    """Appends/s of ``processes`` OS processes with ``threads`` appenders each, one ledger."""
    _open(home, url).close()  # schema and key first, as a deployment would
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _APPEND_CHILD,
                str(BENCH),
                str(home),
                url,
                str(threads),
                str(count // processes),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for p in procs:
        assert p.stdout is not None
        assert p.stdout.readline() == "ready\n"
    for p in procs:  # start together
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    spans = []
    for p in procs:
        out, _ = p.communicate(timeout=3600)
        if p.returncode != 0:
            raise RuntimeError(f"append child failed with {p.returncode}")
        spans.append(json.loads(out.strip().splitlines()[-1]))
    total = sum(n for _, _, n in spans)
    return total / (max(end for _, end, _ in spans) - min(start for start, _, _ in spans))


def bench_raw_inserts(workdir: Path, count: int, row_bytes: int) -> float:
    path = workdir / "raw.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, data BLOB)")
    row = os.urandom(row_bytes)

    def go() -> None:
        for i in range(count):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t VALUES (?, ?)", (i, row))
            conn.execute("COMMIT")

    result = rate(count, go)
    conn.close()
    return result


def build(home: Path, url: str, size: int) -> Ledger:
    ledger = _open(home, url)
    batch = 4096
    for start in range(ledger.size(), size, batch):
        ledger.append_many([_entry(i) for i in range(start, min(size, start + batch))])
    ledger.checkpoint()
    return ledger


def bench_verify(ledger: Ledger) -> tuple[float, float]:
    size = ledger.size()
    ours = rate(size, lambda: verify_ledger(ledger.db, ledger.verifier_key, ledger.origin))
    blobs = [e.data for e in ledger.entries()]

    def raw() -> None:
        for b in blobs:
            hashlib.sha256(b).digest()

    return ours, rate(len(blobs), raw)


def bench_proofs(ledger: Ledger, samples: int) -> dict[str, float]:
    size = ledger.size()
    rng = random.Random(7)
    inc, con = [], []
    for _ in range(samples):
        seq = rng.randrange(size)
        t = time.perf_counter()
        ledger.inclusion_proof(seq, size)
        inc.append(time.perf_counter() - t)
        old = rng.randrange(1, size)
        t = time.perf_counter()
        ledger.consistency_proof(old, size)
        con.append(time.perf_counter() - t)
    ip50, ip99 = percentiles(inc)
    cp50, cp99 = percentiles(con)
    return {
        "inclusion_p50_us": ip50,
        "inclusion_p99_us": ip99,
        "consistency_p50_us": cp50,
        "consistency_p99_us": cp99,
    }


# VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from the
# parent through fork and exec, so it would report the benchmark's own peak.
_VERIFY_CHILD = """
import sys
from affidavit.config import load_settings
from affidavit.ledger.log import Ledger
from affidavit.ledger.verify import verify_ledger
env = {"AFFIDAVIT_HOME": sys.argv[1], "AFFIDAVIT_DATABASE_URL": sys.argv[2]}
with Ledger.open(load_settings(env)) as ledger:
    verify_ledger(ledger.db, ledger.verifier_key, ledger.origin)
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def verify_peak_rss_mib(home: Path, url: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _VERIFY_CHILD, str(home), url],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip()) / 1024


def measure(server: str | None, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Every ledger figure on one backend (SQLite when ``server`` is None)."""
    big = args.entries or (100_000 if args.quick else 1_000_000)
    small = max(1, big // 10)
    appends = 3_000 if args.quick else 40_000
    work.mkdir()
    f: dict[str, Any] = {}
    with fresh_database(server, work / "a1") as url:
        f["appends_1_per_s"] = bench_appends(work / "a1", url, 1, appends // 4)
    with fresh_database(server, work / "a16") as url:
        f["appends_16_per_s"] = bench_appends(work / "a16", url, 16, appends)
    with fresh_database(server, work / "p4") as url:
        f["appends_16_in_4_processes_per_s"] = bench_appends_processes(
            work / "p4", url, 4, 4, appends
        )
    with (
        fresh_database(server, work / "small") as small_url,
        fresh_database(server, work / "big") as big_url,
    ):
        build(work / "small", small_url, small).close()
        ledger = build(work / "big", big_url, big)
        ours, raw = bench_verify(ledger)
        f.update(
            verify_entries=big,
            verify_per_s=ours,
            raw_sha256_per_s=raw,
            **bench_proofs(ledger, 200 if args.quick else 2000),
        )
        ledger.close()
        f["verify_peak_rss_mib_small"] = verify_peak_rss_mib(work / "small", small_url)
        f["verify_peak_rss_mib_big"] = verify_peak_rss_mib(work / "big", big_url)
        f["verify_small_entries"] = small
    return f


def _rows(
    f: dict[str, Any], baseline: float, baseline_name: str
) -> list[tuple[str, str, str, str]]:
    big = f["verify_entries"]
    a1, a16, p4 = f["appends_1_per_s"], f["appends_16_per_s"], f["appends_16_in_4_processes_per_s"]
    v, h = f["verify_per_s"], f["raw_sha256_per_s"]
    base = f"{baseline:,.0f} {baseline_name}"
    return [
        ("durable appends/s, 1 appender", f"{a1:,.0f}", base, f"{a1 / baseline:.2f}x"),
        ("durable appends/s, 16 appenders", f"{a16:,.0f}", base, f"{a16 / baseline:.2f}x"),
        (
            "durable appends/s, 16 appenders in 4 processes",
            f"{p4:,.0f}",
            base,
            f"{p4 / baseline:.2f}x",
        ),
        (
            f"full verify at {big:,} entries, entries/s",
            f"{v:,.0f}",
            f"{h:,.0f} sha256/s",
            f"{v / h:.1%}",
        ),
        (
            "inclusion proof p50 / p99",
            f"{f['inclusion_p50_us']:.0f} / {f['inclusion_p99_us']:.0f} µs",
            "-",
            "-",
        ),
        (
            "consistency proof p50 / p99",
            f"{f['consistency_p50_us']:.0f} / {f['consistency_p99_us']:.0f} µs",
            "-",
            "-",
        ),
        (
            "verify peak RSS",
            f"{f['verify_peak_rss_mib_big']:.0f} MiB at {big:,}",
            f"{f['verify_peak_rss_mib_small']:.0f} MiB at {f['verify_small_entries']:,}",
            f"{f['verify_peak_rss_mib_big'] / f['verify_peak_rss_mib_small']:.2f}x",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--entries", type=int, default=None, help="ledger size for verify/proofs")
    parser.add_argument(
        "--database-url",
        default=None,
        help="also measure this PostgreSQL server (postgresql+psycopg://...), beside pgbench",
    )
    args = parser.parse_args()
    raw_count = 1_000 if args.quick else 5_000

    with tempfile.TemporaryDirectory(prefix="affidavit-bench-") as tmp:
        work = Path(tmp)
        row_bytes = len(_entry(1).encode())
        figures: dict[str, Any] = {"machine": machine(), "entry_bytes": row_bytes}
        figures["sqlite"] = measure(None, work / "sqlite", args)
        figures["raw_sqlite_durable_inserts_per_s"] = bench_raw_inserts(work, raw_count, row_bytes)
        if args.database_url:
            figures["postgres_server"] = server_version(args.database_url)
            figures["postgres"] = measure(args.database_url, work / "postgres", args)
            figures["pgbench_simple_update_tps"] = pgbench_tps(
                args.database_url,
                clients=16,
                threads=2,
                seconds=5 if args.quick else 10,
                scale=1 if args.quick else 10,
            )

    if args.json:
        emit_json(figures)
        return
    m = figures["machine"]
    print_table(
        f"Ledger on SQLite {m['sqlite']} ({m['cpu']}, {m['cores']} cores, {m['date']})",
        _rows(
            figures["sqlite"],
            figures["raw_sqlite_durable_inserts_per_s"],
            "raw single-row commits/s",
        ),
    )
    if args.database_url:
        print_table(
            f"Ledger on {figures['postgres_server']}, same machine, same run",
            _rows(
                figures["postgres"],
                figures["pgbench_simple_update_tps"],
                "pgbench -N tps (16 clients)",
            ),
        )


if __name__ == "__main__":
    main()
