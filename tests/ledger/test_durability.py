"""Several OS processes appending to one database, and a writer killed mid-append.

Both run on every backend (``settings``): SQLite, and PostgreSQL when configured,
where killing the client mid-transaction leaves the server to roll it back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from affidavit.config import Settings
from affidavit.ledger.log import Ledger

pytestmark = pytest.mark.slow

APPENDER = textwrap.dedent(
    """
    import json, sys, threading
    from affidavit.config import load_settings
    from affidavit.ledger.entry import Entry
    from affidavit.ledger.log import Ledger

    worker, count, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ledger = Ledger.open(load_settings())
    lock = threading.Lock()

    def run(t):
        for i in range(count // threads):
            r = ledger.append(Entry(type="test.entry", actor=f"agent:{worker}",
                                    body={"worker": worker, "thread": t, "i": i}))
            with lock:
                print(json.dumps([r.seq, r.leaf_hash.hex()]), flush=True)

    ts = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for t in ts: t.start()
    for t in ts: t.join()
    ledger.close()
    """
)


def _env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["AFFIDAVIT_HOME"] = str(settings.home)
    env["AFFIDAVIT_DATABASE_URL"] = settings.database_url
    env["AFFIDAVIT_CHECKPOINT_EVERY"] = "500"
    return env


def _spawn(settings: Settings, worker: str, count: int, threads: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", APPENDER, worker, str(count), str(threads)],
        env=_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_four_processes_never_fork_or_reuse_sequence_numbers(settings: Settings) -> None:
    with Ledger.open(settings):
        pass  # create the key and schema once, as `affidavit db upgrade` would
    procs = [_spawn(settings, f"p{n}", 2000, 8) for n in range(4)]
    acknowledged: dict[int, str] = {}
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        for line in out.splitlines():
            seq, leaf = json.loads(line)
            assert seq not in acknowledged
            acknowledged[seq] = leaf
    assert sorted(acknowledged) == list(range(8000))
    with Ledger.open(settings) as ledger:
        report = ledger.verify()
        assert report.size == 8000
        for seq in (0, 1234, 7999):
            assert ledger.entry(seq).leaf_hash.hex() == acknowledged[seq]
        workers = {ledger.entry(s).json()["body"]["worker"] for s in range(0, 8000, 97)}
        assert workers == {"p0", "p1", "p2", "p3"}


def test_sigkill_mid_append_loses_no_acknowledged_entry(settings: Settings) -> None:
    proc = _spawn(settings, "victim", 1_000_000, 8)
    acknowledged: dict[int, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        seq, leaf = json.loads(line)
        acknowledged[seq] = leaf
        if len(acknowledged) >= 1500:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    # Lines printed after we stopped reading were acknowledged too.
    for line in proc.stdout.read().splitlines():
        if line.strip():
            seq, leaf = json.loads(line)
            acknowledged[seq] = leaf
    proc.stdout.close()
    assert proc.stderr is not None
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    with Ledger.open(settings) as ledger:
        report = ledger.verify()
        assert report.size >= len(acknowledged)
        for seq, leaf in acknowledged.items():
            assert ledger.entry(seq).leaf_hash.hex() == leaf
        # The ledger keeps working after the crash.
        from affidavit.ledger.entry import Entry

        after = ledger.append(Entry(type="test.entry", actor="agent:after", body={}))
        assert after.seq == report.size
        ledger.verify()
