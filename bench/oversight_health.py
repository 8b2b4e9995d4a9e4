"""Governance health benchmark: folding the ledger into health signals, full and incremental.

    python bench/oversight_health.py [--quick] [--json] [--entries N]

The ledger (SQLite, in a temporary directory) holds N entries (1,000,000; quick:
100,000) shaped exactly as governance writes them: ``affidavit demo`` runs once
through the real Governor, and its entries (alerts with raw payloads, steps,
proposals with their decisions, evidence views, approvals, authorizations,
executions, dispositions, break-glass, identities) are replayed with fresh
proposal, step and case ids and times spread over 60 days, appended in batches.

- **full fold**: ``HealthState().catch_up(ledger)``, entries/s, beside the
  same-run baseline of reading and parsing every entry (``ledger.entries()`` and
  ``json.loads`` of each), the floor any ledger-only computation pays; then the
  report for the whole window (``health_report``).
- **incremental batch**: 1,000 new entries appended, then ``catch_up`` and
  ``health_report`` over the whole window, per batch (median and worst of 5; the
  target is well under a second at any ledger size).
- **snapshot resume**: what ``affidavit health`` pays in a new process: load
  the saved state from JSON, check it against the ledger, fold 1,000 new entries.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit_json, machine, print_table
from affidavit.config import load_settings
from affidavit.connectors import InMemoryConnector
from affidavit.demo import run_demo
from affidavit.governance.governor import Governor
from affidavit.ledger.entry import Entry, timestamp
from affidavit.ledger.log import Ledger
from affidavit.oversight import HealthState, Window, health_report
from affidavit.oversight.snapshot import current_state, save_state
from affidavit.oversight.spike import SpikeSettings

CONNECTORS = ("intel", "idp", "edr", "case", "ticketing", "webhook", "firewall", "email")
BATCH = 2000
NEW = 1000
_IDS = re.compile(r"\b(prop|step|auth|AL)([_-][0-9a-fA-F]{12,20})")
START = datetime(2026, 10, 1, tzinfo=UTC)
SPAN = timedelta(days=60)


def _templates(work: Path) -> list[tuple[str, str, str | None, str, tuple[bytes, ...]]]:
    """The demo's entries, as (type, actor, case, body JSON, payloads)."""
    settings = load_settings(
        {"AFFIDAVIT_HOME": str(work / "seed"), "AFFIDAVIT_CHECKPOINT_INTERVAL": "0"}
    )
    connectors = {n: InMemoryConnector(n) for n in CONNECTORS}
    with Governor.open(settings, connectors=connectors) as gov:
        run_demo(gov, 120)
        found = []
        for stored in gov.ledger.entries():
            entry = stored.json()
            payloads = tuple(gov.ledger.payload(r) for r in entry.get("payloads", []))
            found.append(
                (stored.type, stored.actor, stored.case, json.dumps(entry["body"]), payloads)
            )
    return found


def _entries(templates: list[Any], start: int, count: int, total: int) -> list[Entry]:
    out = []
    for i in range(start, start + count):
        kind, actor, case, body, payloads = templates[i % len(templates)]
        cycle = i // len(templates)
        if cycle:
            body = _IDS.sub(rf"\1\2x{cycle}", body)
            case = None if case is None else f"{case}.{cycle}"
        moment = START + SPAN * (i / total)
        out.append(
            Entry(
                type=kind,
                actor=actor,
                case=case,
                body=json.loads(body),
                payloads=payloads,
                time=timestamp(moment),
            )
        )
    return out


def _append(ledger: Ledger, templates: list[Any], start: int, count: int, total: int) -> None:
    for at in range(start, start + count, BATCH):
        ledger.append_many(_entries(templates, at, min(BATCH, start + count - at), total))


def _read_parse(ledger: Ledger) -> tuple[float, int]:
    started = time.perf_counter()
    parsed = sum(1 for e in ledger.entries() if json.loads(e.data))
    return time.perf_counter() - started, parsed


def measure(entries: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        templates = _templates(work)
        settings = replace(
            load_settings(
                {"AFFIDAVIT_HOME": str(work / "big"), "AFFIDAVIT_CHECKPOINT_INTERVAL": "0"}
            ),
            checkpoint_every=100_000,
        )
        with Ledger.open(settings) as ledger:
            started = time.perf_counter()
            _append(ledger, templates, 0, entries, entries + 10 * NEW)
            build_s = time.perf_counter() - started

            read_s, parsed = _read_parse(ledger)  # once to warm the page cache as the fold finds it
            read_s, parsed = _read_parse(ledger)

            spike = SpikeSettings()
            state = HealthState(spike)
            started = time.perf_counter()
            folded = state.catch_up(ledger)
            fold_s = time.perf_counter() - started
            assert folded == parsed == entries
            now = START + SPAN + timedelta(days=1)
            started = time.perf_counter()
            report = health_report(state, window=Window(), now=now)
            report_s = time.perf_counter() - started

            batches = []
            for b in range(5):
                _append(ledger, templates, entries + b * NEW, NEW, entries + 10 * NEW)
                started = time.perf_counter()
                assert state.catch_up(ledger) == NEW
                health_report(state, window=Window(), now=now)
                batches.append(time.perf_counter() - started)

            snapshot = work / "health-state.json"
            started = time.perf_counter()
            save_state(state, snapshot)
            save_s = time.perf_counter() - started
            _append(ledger, templates, entries + 5 * NEW, NEW, entries + 10 * NEW)
            started = time.perf_counter()
            resumed = current_state(ledger, snapshot, spike)
            health_report(resumed, window=Window(), now=now)
            resume_s = time.perf_counter() - started
            assert resumed.position == entries + 6 * NEW
            snapshot_bytes = snapshot.stat().st_size
    return {
        "entries": entries,
        "build_s": build_s,
        "read_parse_per_s": entries / read_s,
        "fold_per_s": entries / fold_s,
        "fold_s": fold_s,
        "report_s": report_s,
        "batch_median_s": statistics.median(batches),
        "batch_max_s": max(batches),
        "snapshot_bytes": snapshot_bytes,
        "snapshot_save_s": save_s,
        "snapshot_resume_s": resume_s,
        "approvals": report.latency["count"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 entries")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--entries", type=int, default=None)
    args = parser.parse_args()
    entries = args.entries or (100_000 if args.quick else 1_000_000)
    figures = {"machine": machine(), "health": measure(entries)}
    if args.json:
        emit_json(figures)
        return
    h = figures["health"]
    print(
        f"ledger of {entries:,} entries built in {h['build_s']:.0f} s ({h['approvals']:,} approvals)"
    )
    print_table(
        "Governance health (SQLite)",
        [
            (
                "full fold, entries/s",
                f"{h['fold_per_s']:,.0f}",
                f"{h['read_parse_per_s']:,.0f} (read + parse)",
                f"{h['fold_per_s'] / h['read_parse_per_s']:.2f}",
            ),
            ("report over the whole window", f"{h['report_s'] * 1000:.0f} ms", "-", "-"),
            (
                f"new batch of {NEW:,}: fold + report",
                f"{h['batch_median_s'] * 1000:.0f} ms (worst {h['batch_max_s'] * 1000:.0f} ms)",
                "target < 1,000 ms",
                f"{h['batch_median_s']:.2f}",
            ),
            (
                "new process: load snapshot + fold 1,000 + report",
                f"{h['snapshot_resume_s'] * 1000:.0f} ms",
                f"full fold {h['fold_s']:.1f} s",
                f"{h['snapshot_resume_s'] / h['fold_s']:.2f}",
            ),
        ],
    )


if __name__ == "__main__":
    main()
