"""``affidavit alerts``: ingest vendor alerts into cases."""

from __future__ import annotations

from pathlib import Path

import typer

from affidavit.cli._common import JSON_OPTION, open_governor, print_json
from affidavit.errors import InputError
from affidavit.intake import normalized_alerts

app = typer.Typer(help="Alerts from detection tools.", no_args_is_help=True)

MAX_FILE_BYTES = 64 * 1024 * 1024


@app.command("ingest")
def ingest(
    file: Path = typer.Argument(..., help="JSON object, JSON array or JSON lines; '-' for stdin"),
    case: str = typer.Option(None, "--case", help="Case id (default: one case per alert)."),
    as_json: bool = JSON_OPTION,
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Name the alert fields the normaliser did not map."
    ),
) -> None:
    """Normalise alerts (vendor format auto-detected) and record them in the ledger."""
    data = _read(file)
    # Normalised here first: a refused record is named by its line or item before
    # the ledger is opened, and the fields each normaliser left unmapped are known.
    located = list(normalized_alerts(data))
    with open_governor() as gov:
        results = gov.ingest_alerts(data, case=case)
    unmapped = [alert.unmapped or () for _, alert in located]
    if as_json:
        print_json(
            [
                {**r.__dict__, "where": where, "unmapped": list(fields)}
                for r, (where, _), fields in zip(results, located, unmapped, strict=True)
            ]
        )
        return
    for r in results:
        where = f"entry {r.seq}" if r.seq is not None else f"duplicate of entry {r.duplicate_of}"
        typer.echo(f"{r.case}\t{r.vendor}\t{r.severity}\t{where}\t{r.title}")
    if verbose:
        for (where, _), fields in zip(located, unmapped, strict=True):
            if fields:
                listed = ", ".join(fields)
                typer.echo(
                    f"{where}: {_count(len(fields), 'field')} not mapped: {listed}", err=True
                )
    fresh = sum(r.seq is not None for r in results)
    summary = f"{_count(fresh, 'alert')} ingested, {_count(len(results) - fresh, 'duplicate')}"
    total = sum(len(fields) for fields in unmapped)
    if total:
        hint = "" if verbose else " (--verbose names them)"
        summary += f"; {_count(total, 'field')} not mapped to the alert model{hint}"
    typer.echo(summary, err=True)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _read(file: Path) -> bytes:
    import sys

    if str(file) == "-":
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    else:
        try:
            if file.stat().st_size > MAX_FILE_BYTES:
                raise InputError(f"{file} is larger than {MAX_FILE_BYTES} bytes")
            data = file.read_bytes()
        except FileNotFoundError:
            raise InputError(f"{file} does not exist") from None
        except IsADirectoryError:
            raise InputError(f"{file} is a directory, not a file") from None
        except PermissionError:
            raise InputError(f"{file} is not readable") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"input is larger than {MAX_FILE_BYTES} bytes")
    return data
