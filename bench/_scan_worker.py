"""One side of bench/protect_speed.py: scans a corpus file on command, in its own process.

    PYTHONPATH=<a tree's src> python bench/_scan_worker.py CORPUS.jsonl ENGINE UNDO_EVASIONS CORE

Imports ``affidavit.protect`` from whatever tree PYTHONPATH names (this tree or a
baseline's), pins itself to CORE, builds one scanner, and for each ``run`` line on stdin
scans every document and answers one JSON line: CPU seconds, findings, and a digest of
every finding (kind, detector, span), so the two sides can be checked for equal results.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time


def main() -> int:
    corpus, engine, undo, core = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})
    from affidavit.protect import ScanConfig, Scanner

    with open(corpus, encoding="utf-8") as f:
        documents = [json.loads(line) for line in f]
    try:
        config, note = ScanConfig(undo_evasions=undo), ""
    except TypeError:  # a tree from before the views: it scans as it always did
        config, note = ScanConfig(), "no undo_evasions setting in this tree"
    scanner = Scanner(config, engine=engine)
    scanner.scan(documents[0][:10_000])  # warm up
    print(json.dumps({"ready": scanner.engine, "note": note}), flush=True)
    for command in sys.stdin:
        if command.strip() != "run":
            break
        start = time.process_time()
        results = [scanner.scan(document) for document in documents]
        seconds = time.process_time() - start
        digest = hashlib.sha256()
        count = 0
        for findings in results:
            for f in findings:
                digest.update(f"{f.kind}:{f.detector}:{f.start}:{f.end};".encode())
            digest.update(b"|")
            count += len(findings)
        print(
            json.dumps({"seconds": seconds, "findings": count, "digest": digest.hexdigest()}),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
