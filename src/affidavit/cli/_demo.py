"""``affidavit demo``: the main job, end to end, on embedded SQLite.

Today's scenario: generated alerts in seven vendor formats are normalised and
recorded in their cases, a checkpoint is signed, the whole ledger is verified,
and an auditor's offline checks (an inclusion proof and a consistency proof
against signed checkpoints) are replayed with nothing but the verifier key.
"""

from __future__ import annotations

import time
from collections import Counter

import typer
from rich.console import Console
from rich.table import Table

from affidavit.cli._common import open_ledger
from affidavit.errors import InputError
from affidavit.governance.alerts import generate_alerts
from affidavit.governance.intake import ingest_objects
from affidavit.ledger import merkle, note
from affidavit.ledger.verify import verify_ledger

MAX_DEMO_ALERTS = 100_000


def demo(
    alerts: int = typer.Option(200, "--alerts", help="How many sample alerts to generate."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Run headless, print, exit."),
) -> None:
    """Run the main job on embedded SQLite and print a summary."""
    if not 1 <= alerts <= MAX_DEMO_ALERTS:
        raise InputError(f"--alerts must be between 1 and {MAX_DEMO_ALERTS}, got {alerts}")
    console = Console()
    started = time.perf_counter()
    with open_ledger() as ledger:
        before = ledger.size()
        old_checkpoint = ledger.checkpoint()
        results = ingest_objects(
            ledger, generate_alerts(alerts, seed=before), case=None, actor="system:demo"
        )
        signed = ledger.checkpoint()
        report = verify_ledger(ledger.db, ledger.verifier_key, ledger.origin)

        # The auditor's view: only the verifier key and what the ledger hands out.
        key = ledger.verifier_key
        checkpoint = note.Checkpoint.parse(note.verify(signed, [key]).text)
        first_new = next((r.seq for r in results if r.seq is not None), checkpoint.size - 1)
        proof = ledger.inclusion_proof(first_new, checkpoint.size)
        merkle.verify_inclusion(
            proof.leaf_hash, proof.seq, proof.size, proof.hashes, checkpoint.root
        )
        old = note.Checkpoint.parse(note.verify(old_checkpoint, [key]).text)
        consistency = ledger.consistency_proof(old.size, checkpoint.size)
        merkle.verify_consistency(
            old.size, checkpoint.size, consistency.hashes, old.root, checkpoint.root
        )
    elapsed = time.perf_counter() - started

    by_vendor = Counter(r.vendor for r in results)
    table = Table(title="Alerts ingested", show_edge=False)
    table.add_column("vendor")
    table.add_column("alerts", justify="right")
    for vendor, count in sorted(by_vendor.items()):
        table.add_row(vendor, str(count))
    console.print(table)
    fresh = sum(r.seq is not None for r in results)
    cases = len({r.case for r in results})
    console.print(
        f"[bold]{fresh}[/] alerts recorded in [bold]{cases}[/] cases "
        f"({len(results) - fresh} duplicates); ledger now {report.size} entries"
    )
    console.print(f"checkpoint signed by {ledger.origin} at size {checkpoint.size}")
    console.print(
        f"ledger verify: [green]ok[/] ({report.checkpoints} checkpoints, "
        f"{report.payloads} payloads, root {report.root.hex()[:16]}...)"
    )
    console.print(
        f"auditor check: entry {proof.seq} included in the signed tree "
        f"({len(proof.hashes)} hashes); size {old.size} -> {checkpoint.size} consistent"
    )
    console.print(f"done in {elapsed:.2f}s; verifier key: {key}", soft_wrap=True)
    if not no_serve:
        console.print("(nothing to serve yet: the API and console are not built; ran headless)")
