"""``affidavit ledger``: verify, checkpoints, proofs."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from affidavit.cli._common import JSON_OPTION, open_ledger, print_json
from affidavit.errors import VerificationError

app = typer.Typer(help="The tamper-evident evidence ledger.", no_args_is_help=True)


@app.command("verify")
def verify(
    key: str = typer.Option(
        None, "--key", help="Expected verifier key (default: the one derived from log.key)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Recompute every hash, the tree and every checkpoint; exit 1 on any discrepancy."""
    with open_ledger() as ledger:
        if key is not None and key.strip() != ledger.verifier_key:
            raise VerificationError(
                f"the log key in AFFIDAVIT_HOME is not the expected key {key.strip()!r}"
            )
        console = Console(stderr=True)
        with Progress(
            "verifying",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=as_json or not console.is_terminal,
        ) as bar:
            task = bar.add_task("verify", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = ledger.verify(progress)
    if as_json:
        print_json(
            {
                "ok": True,
                "size": report.size,
                "root": report.root.hex(),
                "checkpoints": report.checkpoints,
                "latest_checkpoint_size": report.latest_checkpoint_size,
                "payloads": report.payloads,
                "erased_payloads": report.erased,
                "erasures": list(report.erasures),
                "unsigned_entries": report.unsigned_entries,
            }
        )
        return
    typer.echo(
        f"ok: {report.size} entries, root {report.root.hex()}, "
        f"{report.checkpoints} checkpoints verified, {report.payloads} payloads checked"
        + (
            f" ({report.erased} erased on purpose, each with its erasure entry)"
            if report.erased
            else ""
        )
    )
    for e in report.erasures:
        typer.echo(
            f"erased: {e['payloads']} payloads at entry {e['entry']} ({e['time']}) "
            f"by {e['actor']}, rule {e['rule']}: {e['reason']}"
        )
    if report.unsigned_entries:
        typer.echo(
            f"note: {report.unsigned_entries} entries after the latest signed checkpoint; "
            "run `affidavit ledger checkpoint` to sign them"
        )


@app.command("checkpoint")
def checkpoint() -> None:
    """Sign (if needed) and print the latest checkpoint as a signed note."""
    with open_ledger() as ledger:
        typer.echo(ledger.checkpoint(), nl=False)


@app.command("verifier-key")
def verifier_key() -> None:
    """Print the log's verifier key (give it to auditors)."""
    with open_ledger() as ledger:
        typer.echo(ledger.verifier_key)


@app.command("prove")
def prove(
    seq: int = typer.Option(..., "--seq", help="Entry sequence number (0-based)."),
    size: int = typer.Option(None, "--size", help="Tree size (default: current)."),
) -> None:
    """Print an inclusion proof for entry SEQ in the tree of SIZE entries, as JSON."""
    with open_ledger() as ledger:
        proof = ledger.inclusion_proof(seq, size)
        entry = ledger.entry(seq)
    print_json(
        {
            "seq": proof.seq,
            "size": proof.size,
            "leaf_hash": proof.leaf_hash.hex(),
            "root": proof.root.hex(),
            "proof": [h.hex() for h in proof.hashes],
            "entry": entry.json(),
        }
    )


@app.command("consistency")
def consistency(
    old: int = typer.Option(..., "--old", help="The older tree size."),
    size: int = typer.Option(None, "--size", help="The newer tree size (default: current)."),
) -> None:
    """Print a consistency proof between two tree sizes, as JSON."""
    with open_ledger() as ledger:
        proof = ledger.consistency_proof(old, size)
    print_json(
        {
            "old_size": proof.old_size,
            "new_size": proof.new_size,
            "old_root": proof.old_root.hex(),
            "new_root": proof.new_root.hex(),
            "proof": [h.hex() for h in proof.hashes],
        }
    )
