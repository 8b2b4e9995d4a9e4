"""Oversight benchmark: evidence pack export and offline verification.

    python bench/oversight.py [--quick] [--json] [--entries N]

A period pack of N entries (default 100,000; --quick 10,000; one in ten with a
payload) is exported from a ledger on SQLite and verified with the standalone
verifier, beside ``ledger verify`` (``Ledger.verify``: every entry, subtree,
checkpoint and payload) on the same ledger in the same run. Target: verify-pack
at 50% or more of ledger verify's entries/s.

Each measurement is one ``measure_*`` function taking the prepared ledger, so
more (health signals) can be added beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit_json, machine, print_table
from affidavit.config import load_settings
from affidavit.ledger.entry import Entry
from affidavit.ledger.log import Ledger
from affidavit.oversight import PackScope, export_pack, verify_pack

BODY = {
    "alert_id": "da637292082891366787_322081178",
    "vendor": "defender",
    "severity": "high",
    "title": "Suspicious PowerShell command line",
    "entities": [{"kind": "host", "value": "pc-sales-0215"}],
}
PAYLOAD = (
    b"powershell -enc "
    + b"SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA" * 3
)
EVERYTHING = PackScope(start="0001-01-01T00:00:00.000000Z", end="9999-12-31T00:00:00.000000Z")


def _entry(i: int) -> Entry:
    payloads = (PAYLOAD + str(i).encode(),) if i % 10 == 0 else ()
    return Entry(
        type="alert.ingested",
        actor="agent:triage",
        case=f"CASE-{i % 97}",
        body=BODY,
        payloads=payloads,
    )


@contextmanager
def prepared_ledger(entries: int) -> Iterator[tuple[Ledger, Path]]:
    """A SQLite ledger of ``entries`` entries, checkpointed, in a temporary home."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        settings = load_settings(
            {
                "AFFIDAVIT_HOME": str(home),
                "AFFIDAVIT_DATABASE_URL": f"sqlite:///{home / 'affidavit.db'}",
                "AFFIDAVIT_CHECKPOINT_INTERVAL": "0",
            }
        )
        with Ledger.open(settings) as ledger:
            for start in range(0, entries, 2000):
                ledger.append_many([_entry(i) for i in range(start, min(entries, start + 2000))])
            ledger.checkpoint()
            yield ledger, home


def _timed(fn: Any) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _rates(count: int, wall: float, cpu: float) -> dict[str, float]:
    return {
        "entries": count,
        "seconds": wall,
        "cpu_seconds": cpu,
        "entries_per_s": count / wall,
        "entries_per_cpu_s": count / cpu,
    }


def measure_ledger_verify(ledger: Ledger) -> dict[str, float]:
    """What `affidavit ledger verify` runs: the whole ledger, payloads decrypted."""
    wall, cpu, report = _timed(ledger.verify)
    return _rates(report.size, wall, cpu)


def measure_export(ledger: Ledger, out: Path) -> dict[str, float]:
    """`affidavit case export --from --to` over every entry."""
    wall, cpu, pack = _timed(lambda: export_pack(ledger, EVERYTHING, out))
    entry_bytes = sum(len(e.data) for e in ledger.entries())
    return {
        **_rates(pack.entries, wall, cpu),
        "pack_bytes": pack.bytes,
        "pack_bytes_per_entry": pack.bytes / pack.entries,
        "entry_bytes_per_entry": entry_bytes / pack.entries,
    }


# Peak memory of this process alone: VmHWM belongs to the address space exec made.
# (ru_maxrss would not do: Linux carries the forking parent's peak across exec.)
_RUN_AND_REPORT_RSS = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as exc:
    code = exc.code
with open("/proc/self/status") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
print(peak, file=sys.stderr)
sys.exit(code)
"""


def measure_verify_pack(pack: Path, key: str, entries: int) -> dict[str, float]:
    """The standalone verifier as an auditor runs it: `python verify_pack.py PACK --key K`,
    in a fresh process, which reports its own peak memory (Linux /proc)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    command = [sys.executable, "-c", _RUN_AND_REPORT_RSS, verify_pack.__file__, str(pack)]
    done = subprocess.run(
        [*command, "--key", key, "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"verify_pack.py failed: {done.stderr.strip()}")
    assert json.loads(done.stdout)["entries"] == entries
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    return {**_rates(entries, wall, cpu), "peak_rss_mib": peak_kib / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 entries")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--entries", type=int, default=None)
    args = parser.parse_args()
    entries = args.entries or (10_000 if args.quick else 100_000)

    with prepared_ledger(entries) as (ledger, home):
        baseline = measure_ledger_verify(ledger)
        export = measure_export(ledger, home / "period.zip")
        checked = measure_verify_pack(home / "period.zip", ledger.verifier_key, export["entries"])
        os.remove(home / "period.zip")
    figures = {
        "machine": machine(),
        "load_average": os.getloadavg(),
        "entries": entries,
        "ledger_verify": baseline,
        "export": export,
        "verify_pack": checked,
        "verify_pack_ratio": checked["entries_per_s"] / baseline["entries_per_s"],
        "verify_pack_cpu_ratio": checked["entries_per_cpu_s"] / baseline["entries_per_cpu_s"],
    }
    if args.json:
        emit_json(figures)
        return
    rows = []
    for label, key in (("wall clock", "entries_per_s"), ("CPU time", "entries_per_cpu_s")):
        base = baseline[key]
        rows.append(
            (
                f"verify-pack, entries/s ({label})",
                f"{checked[key]:,.0f}",
                f"{base:,.0f} ledger verify entries/s",
                f"{checked[key] / base:.0%}",
            )
        )
        rows.append(
            (
                f"case export --from/--to, entries/s ({label})",
                f"{export[key]:,.0f}",
                f"{base:,.0f} ledger verify entries/s",
                f"{export[key] / base:.0%}",
            )
        )
    rows.append(
        (
            "pack size per entry",
            f"{export['pack_bytes_per_entry']:,.0f} bytes",
            f"{export['entry_bytes_per_entry']:,.0f} bytes of entry JSON",
            f"{export['pack_bytes_per_entry'] / export['entry_bytes_per_entry']:.2f}x",
        )
    )
    rows.append(("verify-pack peak RSS", f"{checked['peak_rss_mib']:,.0f} MiB", "-", "-"))
    load = ", ".join(f"{x:.1f}" for x in figures["load_average"])
    print_table(
        f"Evidence packs: a period pack of {entries:,} entries, SQLite (load average {load})",
        rows,
    )


if __name__ == "__main__":
    main()
