"""Many writer processes, one database: one ledger, no gaps, no duplicates, verify passes.

Each writer is its own OS process: in-process ledgers appending from many
threads, the CLI ingesting alerts, the CLI signing checkpoints. A writer is an
argv plus a check that, against the final ledger, confirms everything the
process was told had been committed and returns the sequence numbers it was
acknowledged. Another kind of writer (the Governor proposing and approving, an
API node under load) is one more :class:`Writer` in the list.

Runs on every backend; on PostgreSQL this is several API nodes in miniature.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from affidavit.config import Settings
from affidavit.ledger import note
from affidavit.ledger.log import Ledger
from affidavit.samples.alerts import generate_alerts

pytestmark = pytest.mark.slow

Check = Callable[[str, Ledger], set[int]]
"""(the process's stdout, the final ledger) -> the seqs it was acknowledged."""


@dataclass
class Writer:
    name: str
    argv: list[str]
    check: Check
    background: bool = False
    """Keeps writing until the test creates ``$AFFIDAVIT_TEST_STOP``; says ``ready`` first."""
    proc: subprocess.Popen[str] | None = field(default=None, repr=False)


# Appends from 8 threads until told to stop, after a first acknowledged append;
# acknowledgements go to a file so a full pipe never stalls the appender.
APPENDER = textwrap.dedent(
    """
    import json, os, sys, threading
    from affidavit.config import load_settings
    from affidavit.ledger.entry import Entry
    from affidavit.ledger.log import Ledger

    name, acks_path = sys.argv[1], sys.argv[2]
    stop = os.environ["AFFIDAVIT_TEST_STOP"]
    ledger = Ledger.open(load_settings())
    lock = threading.Lock()
    acks = open(acks_path, "w")

    def append(t, i):
        r = ledger.append(Entry(type="test.entry", actor=f"agent:{name}",
                                body={"writer": name, "thread": t, "i": i}))
        with lock:
            acks.write(json.dumps([r.seq, r.leaf_hash.hex(), t, i]) + "\\n")

    append(0, -1)
    print("ready", flush=True)

    def run(t):
        i = 0
        while i < 50 or not os.path.exists(stop):
            append(t, i)
            i += 1

    threads = [threading.Thread(target=run, args=(t,)) for t in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    acks.close()
    ledger.close()
    print(acks_path)
    """
)


def appender(name: str, workdir: Path) -> Writer:
    def check(out: str, ledger: Ledger) -> set[int]:
        acks_path = Path(out.split()[-1])
        seqs: set[int] = set()
        for line in acks_path.read_text().splitlines():
            seq, leaf, thread, i = json.loads(line)
            stored = ledger.entry(seq)
            assert stored.leaf_hash.hex() == leaf
            assert stored.body == {"writer": name, "thread": thread, "i": i}
            seqs.add(seq)
        return seqs

    acks = workdir / f"{name}.acks"
    return Writer(name, [sys.executable, "-c", APPENDER, name, str(acks)], check, background=True)


def cli_ingest(name: str, alerts: list[dict[str, object]], workdir: Path) -> Writer:
    path = workdir / f"{name}.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in alerts))
    case = f"CASE-{name}"

    def check(out: str, ledger: Ledger) -> set[int]:
        results = json.loads(out)
        assert len(results) == len(alerts)
        for r in results:
            stored = ledger.entry(r["seq"])
            assert (stored.type, stored.case) == ("alert.ingested", case)
            assert stored.json()["payloads"] == [r["raw_sha256"]]
        # Its case is its own: entries it wrote beside the alerts (the case opening).
        written = {e.seq for e in ledger.entries(case=case)}
        assert {r["seq"] for r in results} <= written
        return written

    argv = [
        sys.executable,
        "-m",
        "affidavit",
        "alerts",
        "ingest",
        str(path),
        "--case",
        case,
        "--json",
    ]
    return Writer(name, argv, check)


def cli_checkpoint(name: str) -> Writer:
    def check(out: str, ledger: Ledger) -> set[int]:
        signed = note.Checkpoint.parse(note.verify(out, [ledger.verifier_key]).text)
        assert signed.root == ledger.root(signed.size)  # consistent with the final tree
        return set()

    return Writer(name, [sys.executable, "-m", "affidavit", "ledger", "checkpoint"], check)


def _writers(workdir: Path) -> list[Writer]:
    alerts = list(generate_alerts(4 * 25, seed=11))
    return [
        appender("appender-a", workdir),
        appender("appender-b", workdir),
        *(cli_ingest(f"ingest-{n}", alerts[n * 25 : (n + 1) * 25], workdir) for n in range(4)),
        *(cli_checkpoint(f"checkpoint-{n}") for n in range(2)),
    ]


def _start(writer: Writer, env: dict[str, str]) -> None:
    writer.proc = subprocess.Popen(
        writer.argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_writer_processes_share_one_linear_ledger(settings: Settings, tmp_path: Path) -> None:
    with Ledger.open(settings):
        pass  # schema and key first, as `affidavit db upgrade` and key distribution would
    stop = tmp_path / "stop"
    env = dict(
        os.environ,
        AFFIDAVIT_HOME=str(settings.home),
        AFFIDAVIT_DATABASE_URL=settings.database_url,
        AFFIDAVIT_CHECKPOINT_EVERY="200",
        AFFIDAVIT_TEST_STOP=str(stop),
    )
    writers = _writers(tmp_path)
    background = [w for w in writers if w.background]
    foreground = [w for w in writers if not w.background]
    outputs: dict[str, str] = {}
    try:
        for w in background:
            _start(w, env)
        for w in background:  # appending already, so the others write in between
            assert w.proc is not None and w.proc.stdout is not None
            assert w.proc.stdout.readline() == "ready\n", w.proc.communicate()[1]
        for w in foreground:
            _start(w, env)
        for w in foreground:
            assert w.proc is not None
            out, err = w.proc.communicate(timeout=300)
            assert w.proc.returncode == 0, f"{w.name}: {err}"
            outputs[w.name] = out
        stop.touch()
        for w in background:
            assert w.proc is not None
            out, err = w.proc.communicate(timeout=300)
            assert w.proc.returncode == 0, f"{w.name}: {err}"
            outputs[w.name] = out
    finally:
        stop.touch()
        for w in writers:
            if w.proc is not None and w.proc.poll() is None:
                w.proc.kill()
                w.proc.communicate()

    with Ledger.open(settings) as ledger:
        report = ledger.verify()
        acknowledged: dict[str, set[int]] = {
            w.name: w.check(outputs[w.name], ledger) for w in writers
        }
        every = [seq for seqs in acknowledged.values() for seq in seqs]
        assert len(every) == len(set(every)), "a sequence number was acknowledged twice"
        assert sorted(every) == list(range(report.size)), "the ledger has entries nobody wrote"
        assert report.checkpoints >= 2
    # The writers really ran at once: CLI batches landed between appender entries.
    first = {w.name: min(acknowledged[w.name]) for w in background}
    last = {w.name: max(acknowledged[w.name]) for w in background}
    for w in foreground:
        for seq in acknowledged[w.name]:
            assert all(first[b] < seq < last[b] for b in first), (w.name, seq, first, last)
    verified = subprocess.run(
        [sys.executable, "-m", "affidavit", "ledger", "verify", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["size"] == report.size
