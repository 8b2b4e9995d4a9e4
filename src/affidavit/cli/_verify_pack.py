"""``affidavit verify-pack``: check an evidence pack offline, as an auditor would."""

from __future__ import annotations

from pathlib import Path

import typer

from affidavit.cli._common import JSON_OPTION, print_json
from affidavit.errors import InputError, VerificationError
from affidavit.oversight import verify_pack as standalone


def verify_pack(
    pack: Path = typer.Argument(..., help="The evidence pack (.zip)."),
    key: str = typer.Option(
        ..., "--key", help="The log's verifier key (text, or a file holding it)."
    ),
    witness: list[str] = typer.Option(
        [], "--witness", help="A witness's cosignature key (repeat for several)."
    ),
    quorum: int = typer.Option(
        None, "--witness-quorum", help="Cosignatures required (default: every witness given)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Verify an evidence pack with no database and no server; exit 1 naming the first bad file."""
    try:
        report = standalone.verify(
            pack,
            standalone.key_text(key),
            [standalone.key_text(w) for w in witness],
            quorum,
        )
    except standalone.UsageError as exc:
        raise InputError(str(exc)) from None
    except standalone.PackError as exc:
        raise VerificationError(str(exc)) from None
    if as_json:
        print_json(report.to_json())
        return
    typer.echo("\n".join(report.lines()))
