"""Verification of meaning: what `affidavit ledger verify` pays to check that the state
tables are the projection of the ledger (issue 9, item 3).

    python bench/verify_state.py [--quick] [--json] [--runs N] [--alerts N]

The demo (`affidavit demo --no-serve`, run ``--runs`` times with ``--alerts`` alerts
each, default 3 x 200; --quick 1 x 40) fills a fresh SQLite home. Then, in one
process, best of 3: the baseline is ``verify_home`` (every entry, subtree,
checkpoint and payload: verify without the meaning check); the measure is the same
plus ``check_state`` (replay every entry through the projector into an in-memory
database and compare every projected table row by row).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit_json, machine, print_table
from affidavit.config import load_settings
from affidavit.governance.meaning import check_state
from affidavit.ledger.audit import open_reader, verify_home


def _fill(home: Path, runs: int, alerts: int) -> None:
    env = dict(os.environ, AFFIDAVIT_HOME=str(home))
    env.pop("AFFIDAVIT_DATABASE_URL", None)
    for _ in range(runs):
        subprocess.run(
            [sys.executable, "-m", "affidavit", "demo", "--no-serve", "--alerts", str(alerts)],
            env=env,
            check=True,
            capture_output=True,
        )


def _best(fn: object, repeat: int = 3) -> float:
    assert callable(fn)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--alerts", type=int, default=None)
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    alerts = args.alerts or (40 if args.quick else 200)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        _fill(home, runs, alerts)
        os.environ["AFFIDAVIT_HOME"] = str(home)
        os.environ.pop("AFFIDAVIT_DATABASE_URL", None)
        settings = load_settings()
        size = verify_home(settings).size

        def state() -> object:
            with open_reader(settings) as reader:
                return check_state(reader.db)

        report = state()
        baseline = _best(lambda: verify_home(settings))
        meaning = _best(state)
    total = baseline + meaning
    figures = {
        "machine": machine(),
        "entries": size,
        "rows": getattr(report, "rows", 0),
        "verify_s": baseline,
        "state_s": meaning,
        "verify_with_state_s": total,
        "ratio": total / baseline,
    }
    if args.json:
        emit_json(figures)
        return
    print_table(
        f"ledger verify with the meaning check: demo ledger, {size} entries, "
        f"{figures['rows']} state rows (SQLite)",
        [
            (
                "verify, s (best of 3)",
                f"{total:.3f} (state check {meaning:.3f})",
                f"{baseline:.3f} without the check",
                f"{total / baseline:.2f}x",
            ),
            (
                "entries/s",
                f"{size / total:,.0f}",
                f"{size / baseline:,.0f}",
                f"{baseline / total:.2f}",
            ),
        ],
    )


if __name__ == "__main__":
    main()
