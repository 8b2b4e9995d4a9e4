"""Ledger benchmark: durable appends, full verification, proofs, verification memory.

    python bench/ledger.py [--quick] [--json] [--entries N]

Every figure is measured beside a same-run baseline on the same machine:
appends beside raw durable single-row SQLite inserts of rows of the same size;
verification beside plain ``hashlib.sha256`` over the same entry bytes.
Verification memory is the peak RSS of a fresh process verifying ledgers of two
sizes: streaming means the larger ledger needs no more memory.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit_json, machine, percentiles, print_table, rate
from affidavit.config import load_settings
from affidavit.ledger.entry import Entry
from affidavit.ledger.log import Ledger
from affidavit.ledger.verify import verify_ledger

BODY = {
    "alert_id": "da637292082891366787_322081178",
    "vendor": "defender",
    "severity": "high",
    "title": "Suspicious PowerShell command line",
    "entities": [{"kind": "host", "value": "pc-sales-0215"}],
}


def _entry(i: int) -> Entry:
    return Entry(type="alert.ingested", actor="agent:triage", case=f"CASE-{i % 97}", body=BODY)


def _open(home: Path) -> Ledger:
    env = {"AFFIDAVIT_HOME": str(home), "AFFIDAVIT_CHECKPOINT_INTERVAL": "0"}
    return Ledger.open(load_settings(env))


def bench_appends(workdir: Path, threads: int, count: int) -> float:
    with _open(workdir / f"appends-{threads}") as ledger:
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


def build(home: Path, size: int) -> Ledger:
    ledger = _open(home)
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


_VERIFY_CHILD = """
import resource, sys
from affidavit.config import load_settings
from affidavit.ledger.log import Ledger
from affidavit.ledger.verify import verify_ledger
with Ledger.open(load_settings({"AFFIDAVIT_HOME": sys.argv[1]})) as ledger:
    verify_ledger(ledger.db, ledger.verifier_key, ledger.origin)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def verify_peak_rss_mib(home: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _VERIFY_CHILD, str(home)], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--entries", type=int, default=None, help="ledger size for verify/proofs")
    args = parser.parse_args()
    big = args.entries or (100_000 if args.quick else 1_000_000)
    small = max(1, big // 10)
    appends = 3_000 if args.quick else 40_000
    raw_count = 1_000 if args.quick else 5_000

    with tempfile.TemporaryDirectory(prefix="affidavit-bench-") as tmp:
        work = Path(tmp)
        row_bytes = len(_entry(1).encode())
        figures: dict[str, object] = {"machine": machine(), "entry_bytes": row_bytes}
        figures["appends_1_per_s"] = bench_appends(work, 1, appends // 4)
        figures["appends_16_per_s"] = bench_appends(work, 16, appends)
        figures["raw_sqlite_durable_inserts_per_s"] = bench_raw_inserts(work, raw_count, row_bytes)

        small_home, big_home = work / "small", work / "big"
        build(small_home, small).close()
        ledger = build(big_home, big)
        ours, raw = bench_verify(ledger)
        figures.update(
            verify_entries=big,
            verify_per_s=ours,
            raw_sha256_per_s=raw,
            **bench_proofs(ledger, 200 if args.quick else 2000),
        )
        ledger.close()
        figures["verify_peak_rss_mib_small"] = verify_peak_rss_mib(small_home)
        figures["verify_peak_rss_mib_big"] = verify_peak_rss_mib(big_home)
        figures["verify_small_entries"] = small

    if args.json:
        emit_json(figures)
        return
    f = figures
    raw_ins = float(f["raw_sqlite_durable_inserts_per_s"])  # type: ignore[arg-type]
    a1, a16 = float(f["appends_1_per_s"]), float(f["appends_16_per_s"])  # type: ignore[arg-type]
    v, h = float(f["verify_per_s"]), float(f["raw_sha256_per_s"])  # type: ignore[arg-type]
    print_table(
        f"Ledger ({f['machine']['cpu']}, {f['machine']['cores']} cores, {f['machine']['date']})",  # type: ignore[index]
        [
            (
                "durable appends/s, 1 appender",
                f"{a1:,.0f}",
                f"{raw_ins:,.0f} raw single-row commits/s",
                f"{a1 / raw_ins:.2f}x",
            ),
            (
                "durable appends/s, 16 appenders",
                f"{a16:,.0f}",
                f"{raw_ins:,.0f} raw single-row commits/s",
                f"{a16 / raw_ins:.2f}x",
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
                f"{f['verify_peak_rss_mib_small']:.0f} MiB at {small:,}",
                f"{float(f['verify_peak_rss_mib_big']) / float(f['verify_peak_rss_mib_small']):.2f}x",
            ),  # type: ignore[arg-type]
        ],
    )


if __name__ == "__main__":
    main()
