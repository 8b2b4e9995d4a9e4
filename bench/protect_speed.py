"""Detection throughput of this tree against a baseline tree, in the same run.

    python bench/protect_speed.py                  # baseline: the `main` branch
    python bench/protect_speed.py --baseline f4b4a26 --quick
    python bench/protect_speed.py --json

bench/protect.py measures throughput beside other products; this bench answers "is it
faster or slower than before?" on a shared machine, where load moves absolute figures
by ±30% from one minute to the next. Both trees' scanners run at the same time in two
worker processes (bench/_scan_worker.py, each importing `affidavit.protect` from its own
tree), pinned to the same core and timed in CPU seconds, taking turns pass by pass
(the order alternates), so load hits both alike. The corpus is bench/protect.py's
synthetic SOC corpus (seeded). Each row reports the best pass of each side, their
ratio, and whether both found exactly the same findings (a digest of every span).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import machine
from protect import MB, _Corpus, _sample

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "_scan_worker.py"
TARGET_MBPS = 50.0


class _Side:
    """A worker process scanning one corpus with one tree's scanner."""

    def __init__(self, src: Path, corpus: Path, engine: str, undo: bool, core: int) -> None:
        env = {**os.environ, "PYTHONPATH": str(src)}
        self._process = subprocess.Popen(
            [sys.executable, str(WORKER), str(corpus), engine, "1" if undo else "0", str(core)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.ready = self._read()

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise SystemExit(f"worker for {WORKER} exited early (see its error above)")
        return dict(json.loads(line))

    def run(self) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write("run\n")
        self._process.stdin.flush()
        return self._read()

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=60)


def _tree(ref: str, into: Path) -> Path:
    """``ref``'s src/ exported into ``into`` (git archive: no checkout, no worktree)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise SystemExit(f"git archive {ref} src failed: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def _write(path: Path, documents: list[str]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for document in documents:
            f.write(json.dumps(document) + "\n")
    return path


def _row(
    name: str, corpus: Path, size: int, engine: str, undo: bool, trees: dict[str, Path], passes: int
) -> dict[str, Any]:
    core = min(os.sched_getaffinity(0)) if hasattr(os, "sched_setaffinity") else 0
    sides = {label: _Side(src, corpus, engine, undo, core) for label, src in trees.items()}
    try:
        times: dict[str, list[float]] = {label: [] for label in sides}
        digests: dict[str, set[str]] = {label: set() for label in sides}
        findings: dict[str, int] = {}
        labels = list(sides)
        for index in range(passes):
            for label in labels if index % 2 == 0 else labels[::-1]:
                answer = sides[label].run()
                times[label].append(answer["seconds"])
                digests[label].add(answer["digest"])
                findings[label] = answer["findings"]
    finally:
        for side in sides.values():
            side.close()
    notes = {f"{label}: {side.ready['note']}" for label, side in sides.items()
             if side.ready.get("note")}  # fmt: skip
    best = {label: size / MB / min(t) for label, t in times.items()}
    median = {label: size / MB / statistics.median(t) for label, t in times.items()}
    return {
        "measure": name,
        "mb": size / MB,
        "mb_per_s": best,
        "median_mb_per_s": median,
        "ratio": best["this tree"] / best["baseline"],
        "median_ratio": median["this tree"] / median["baseline"],
        "findings": findings,
        "same_findings": len(digests["this tree"] | digests["baseline"]) == 1,
        "notes": sorted(notes),
    }


def run(baseline: str, quick: bool, seed: int, passes: int) -> dict[str, Any]:
    chars = (2 if quick else 8) * MB
    documents = [doc for doc, _ in _Corpus(seed).documents(chars, 250_000)]
    lines = _sample(documents, (300_000 if quick else 1 * MB))
    results: dict[str, Any] = {"machine": machine(), "baseline": baseline, "seed": seed,
                               "passes": passes, "rows": []}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="affidavit-speed-") as tmp:
        work = Path(tmp)
        (work / "baseline").mkdir()
        trees = {"this tree": ROOT / "src", "baseline": _tree(baseline, work / "baseline")}
        docs = _write(work / "documents.jsonl", documents)
        per_line = _write(work / "lines.jsonl", lines)
        size, line_size = sum(map(len, documents)), sum(map(len, lines))
        rows = results["rows"]
        rows.append(
            _row("hyperscan, 250 KB documents", docs, size, "hyperscan", True, trees, passes)
        )
        rows.append(_row("hyperscan, views off (undo_evasions=False)", docs, size, "hyperscan",
                         False, trees, passes))  # fmt: skip
        rows.append(_row("hyperscan, one scan() per log line", per_line, line_size, "hyperscan",
                         True, trees, passes))  # fmt: skip
    return results


def _table(results: dict[str, Any]) -> str:
    m = results["machine"]
    out = [
        f"{m['date']}, git {m['git']}, {m['cpu']}, {m['cores']} cores, Python {m['python']}; "
        f"baseline: {results['baseline']}; best of {results['passes']} interleaved passes "
        "per side, CPU time, one core.",
        "",
        "| measure | this tree MB/s | baseline MB/s (same run) | ratio | median ratio | same findings |",
        "|---|---|---|---|---|---|",
    ]
    for row in results["rows"]:
        best = row["mb_per_s"]
        out.append(
            f"| {row['measure']} ({row['mb']:.1f} MB) | {best['this tree']:.1f} | "
            f"{best['baseline']:.1f} | {row['ratio']:.2f}x | {row['median_ratio']:.2f}x | "
            f"{'yes' if row['same_findings'] else 'NO'} |"
        )
    notes = sorted({note for row in results["rows"] for note in row["notes"]})
    if notes:
        out += ["", *(f"Note: {note}." for note in notes)]
    first = results["rows"][0]["mb_per_s"]["this tree"]
    met = "met" if first >= TARGET_MBPS else "NOT met"
    out += ["", f"Target >= {TARGET_MBPS:.0f} MB/s (first row, this tree): {met}."]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="main", help="git ref to compare with")
    parser.add_argument("--quick", action="store_true", help="2 MB corpus, under a minute")
    parser.add_argument("--passes", type=int, default=0, help="passes per side (default 12, 6)")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--json", action="store_true", help="print one JSON object of figures")
    args = parser.parse_args(argv)
    passes = args.passes or (6 if args.quick else 12)
    results = run(args.baseline, args.quick, args.seed, passes)
    print(json.dumps(results, indent=2) if args.json else _table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
