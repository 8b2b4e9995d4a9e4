"""``affidavit ledger``: verify, checkpoints, proofs.

``verify``, ``prove`` and ``consistency`` read the database only: they create
no key and need none (``verify --key`` reads no key file at all), so an
auditor runs them on a copy of the database. ``checkpoint`` and
``verifier-key`` are the log's own and use its key.
"""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from affidavit.cli._common import JSON_OPTION, open_ledger, print_json
from affidavit.config import load_settings
from affidavit.governance.meaning import check_state
from affidavit.ledger.audit import open_reader, verify_home
from affidavit.ledger.verify import VerifyReport

app = typer.Typer(help="The tamper-evident evidence ledger.", no_args_is_help=True)


@app.command("verify")
def verify(
    key: str = typer.Option(
        None,
        "--key",
        help="The log's verifier key. With it nothing but the database is read: "
        "an auditor's copy is enough. Default: the key of the signer state or log.key.",
    ),
    checkpoints: list[Path] = typer.Option(
        None,
        "--checkpoint",
        help="A signed checkpoint saved earlier (repeatable): the log must extend it.",
    ),
    witnesses: list[str] = typer.Option(
        None, "--witness", help="A witness's verifier key (repeatable)."
    ),
    quorum: int = typer.Option(
        None, "--witness-quorum", help="How many of the --witness keys must cosign (default: all)."
    ),
    skip_state: bool = typer.Option(
        False,
        "--skip-state",
        help="Do not check that the state tables equal the projection of the ledger.",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Recompute every hash, the tree and every checkpoint, and check that the state
    tables are the projection of the ledger; exit 1 on any discrepancy."""
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

        report = verify_home(
            load_settings(),
            verifier_key=key,
            saved=checkpoints or (),
            witnesses=witnesses or (),
            witness_quorum=quorum,
            progress=progress,
        )
    state = None
    if not skip_state:  # meaning: the tables decisions read are what the ledger says
        with open_reader(load_settings()) as reader:
            state = check_state(reader.db)
    if as_json:
        print_json(
            _report_json(report) | {"state": None if state is None else dataclasses.asdict(state)}
        )
    else:
        _print_report(report)
        if state is not None:
            typer.echo(
                f"state: {state.tables} tables ({state.rows} rows) equal the projection "
                f"of {state.entries} entries"
            )


def _report_json(report: VerifyReport) -> dict[str, object]:
    witnessed = report.witnessed
    return {
        "ok": True,
        "size": report.size,
        "root": report.root.hex(),
        "checkpoints": report.checkpoints,
        "latest_checkpoint_size": report.latest_checkpoint_size,
        "payloads": report.payloads,
        "payloads_decrypted": report.payloads_decrypted,
        "erased_payloads": report.erased,
        "erasures": list(report.erasures),
        "unsigned_entries": report.unsigned_entries,
        "extends_checkpoints": list(report.anchors),
        "witnessed_size": None if witnessed is None else witnessed.size,
        "witnessed_by": [] if witnessed is None else list(witnessed.witnesses),
    }


def _print_report(report: VerifyReport) -> None:
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
    if report.anchors:
        sizes = ", ".join(str(s) for s in report.anchors)
        typer.echo(f"extends the checkpoints signed earlier at sizes {sizes}")
    if report.witnessed is not None:
        typer.echo(
            f"witnessed: the checkpoint at size {report.witnessed.size} is cosigned by "
            + ", ".join(report.witnessed.witnesses)
        )
        if report.size > report.witnessed.size:
            typer.echo(
                f"note: {report.size - report.witnessed.size} entries after the latest "
                "witnessed checkpoint"
            )
    if report.unsigned_entries:
        typer.echo(
            f"note: {report.unsigned_entries} entries after the latest signed checkpoint; "
            "run `affidavit ledger checkpoint` to sign them"
        )


@app.command("checkpoint")
def checkpoint(
    size: int = typer.Option(
        None,
        "--size",
        help="An older tree size: print the checkpoint stored at exactly that size "
        "(or sign one, if that tree is a prefix of what the log key signed).",
    ),
) -> None:
    """Sign (if needed) and print the latest checkpoint as a signed note.

    With witnesses configured ($AFFIDAVIT_HOME/witnesses.yaml) a new latest
    checkpoint is sent to each and printed with their cosignatures.
    """
    with open_ledger() as ledger:
        signed = ledger.checkpoint(size)
        if size is None:
            signed, outcomes = ledger.witness(signed)
            for outcome in outcomes:
                if not outcome.cosigned:
                    typer.echo(f"warning: {outcome.detail}", err=True)
    typer.echo(signed, nl=False)


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
    """Print an inclusion proof for entry SEQ in the tree of SIZE entries, as JSON.

    ``entry_base64`` is the entry's exact canonical bytes, the Merkle leaf data:
    SHA-256(0x00 || those bytes) is ``leaf_hash``.
    """
    with open_reader(load_settings()) as reader:
        proof = reader.inclusion_proof(seq, size)
        entry = reader.entry(seq)
    print_json(
        {
            "seq": proof.seq,
            "size": proof.size,
            "leaf_hash": proof.leaf_hash.hex(),
            "root": proof.root.hex(),
            "proof": [h.hex() for h in proof.hashes],
            "entry": entry.json(),
            "entry_base64": base64.b64encode(entry.data).decode("ascii"),
        }
    )


@app.command("consistency")
def consistency(
    old: int = typer.Option(..., "--old", help="The older tree size."),
    size: int = typer.Option(None, "--size", help="The newer tree size (default: current)."),
) -> None:
    """Print a consistency proof between two tree sizes, as JSON."""
    with open_reader(load_settings()) as reader:
        proof = reader.consistency_proof(old, size)
    print_json(
        {
            "old_size": proof.old_size,
            "new_size": proof.new_size,
            "old_root": proof.old_root.hex(),
            "new_root": proof.new_root.hex(),
            "proof": [h.hex() for h in proof.hashes],
        }
    )
