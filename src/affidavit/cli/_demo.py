"""``affidavit demo``: the main job, end to end, on embedded SQLite (see affidavit.demo)."""

from __future__ import annotations

import time
from collections import Counter

import typer
from rich.console import Console
from rich.table import Table

from affidavit.cli._common import open_governor
from affidavit.demo import run_demo
from affidavit.errors import InputError

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
    with open_governor() as gov:
        report = run_demo(gov, alerts)
    elapsed = time.perf_counter() - started
    assert report.verify is not None

    table = Table(title="Alerts ingested", show_edge=False)
    table.add_column("vendor")
    table.add_column("alerts", justify="right")
    for vendor, count in sorted(Counter(r.vendor for r in report.alerts).items()):
        table.add_row(vendor, str(count))
    console.print(table)
    fresh = sum(r.seq is not None for r in report.alerts)
    console.print(
        f"[bold]{fresh}[/] alerts recorded in their cases ({len(report.alerts) - fresh} duplicates)"
    )
    console.print(
        f"agents: {report.steps} model steps recorded; proposals by decision: "
        + ", ".join(f"{k} {v}" for k, v in sorted(report.effects.items()))
    )
    console.print(
        f"people: {report.approvals} approvals, {report.breakglass} break-glass (reviewed), "
        f"dispositions: " + ", ".join(f"{k} {v}" for k, v in sorted(report.dispositions.items()))
    )
    console.print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(report.statuses.items())))
    kinds = {r.split(":", 1)[0]: r for r in report.refusals}
    for refusal in kinds.values():
        console.print(f"  refused, as it should be: {refusal}", soft_wrap=True)
    console.print(
        "simulated systems now: " + ", ".join(f"{k} {v}" for k, v in report.world.items())
    )
    console.print(
        f"case replay from the ledger alone equals the state tables: {report.cases_replayed} cases"
    )
    console.print(
        f"ledger verify: [green]ok[/] ({report.verify.size} entries, {report.verify.checkpoints} "
        f"checkpoints, {report.verify.payloads} payloads)"
    )
    console.print(
        f"auditor check: entry {report.proof_seq} is in the tree signed at size "
        f"{report.checkpoint_size} ({report.proof_hashes} hashes); size {report.old_size} -> "
        f"{report.checkpoint_size} is consistent"
    )
    console.print(
        f"done in {elapsed:.2f}s; log {report.origin}; verifier key: {report.verifier_key}",
        soft_wrap=True,
    )
    if not no_serve:
        console.print("(nothing to serve yet: the API and console are not built; ran headless)")
