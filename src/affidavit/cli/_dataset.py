"""``affidavit dataset``: training data sets from incident records, on the record."""

from __future__ import annotations

from pathlib import Path

import typer

from affidavit.cli._common import JSON_OPTION, TOKEN_OPTION, open_governor, open_ledger, print_json
from affidavit.cli._health import FROM_OPTION, TO_OPTION
from affidavit.errors import InputError, VerificationError
from affidavit.oversight import Window
from affidavit.oversight.dataset_check import affected_datasets, verify_dataset
from affidavit.oversight.dataset_policy import TrainingPolicy

app = typer.Typer(help="Training data sets exported from incident records.", no_args_is_help=True)


@app.command("export")
def export(
    purpose: str = typer.Option(..., "--purpose", help="What the data set is for, e.g. tuning."),
    first: str = FROM_OPTION,
    last: str = TO_OPTION,
    policy: Path = typer.Option(..., "--policy", help="Training data policy (YAML)."),
    output: Path = typer.Option(..., "-o", "--output", help="The data set file (JSON lines)."),
    token: str = TOKEN_OPTION,
) -> None:
    """Export the cases opened in the window, treated under the training data policy
    (needs the dataset_export role); ledgers a dataset.exported manifest."""
    window = Window.parse(first, last)
    if window.first is None or window.last is None:
        raise InputError("an export needs --from and --to")
    rules = TrainingPolicy.load(policy)
    with open_governor() as gov:
        result = gov.export_dataset(
            token, purpose=purpose, window=window, policy=rules, output=output
        )
    print_json(result.to_dict())


@app.command("affected")
def affected(as_json: bool = JSON_OPTION) -> None:
    """Exported data sets holding evidence that was erased after their export."""
    with open_ledger() as ledger:
        found = affected_datasets(ledger)
    if as_json:
        print_json(found)
        return
    if not found:
        typer.echo("no exported data set holds erased evidence")
    for row in found:
        typer.echo(
            f"{row['dataset']}\tentry {row['entry']}\t{row['file_name']}\t"
            f"{len(row['erased'])} erased payloads (erasure entry {row['erased'][0]['erasure']})"
        )


@app.command("verify")
def verify(path: Path) -> None:
    """Check a data set file against its ledgered manifest (exit 1 when it changed)."""
    with open_ledger() as ledger:
        check = verify_dataset(ledger, path)
    if not check.ok:
        lines = ", ".join(str(n) for n in check.changed_records[:10])
        raise VerificationError(
            f"data set {check.dataset} (entry {check.entry}): {check.problem}"
            + (f" (lines {lines})" if lines else "")
        )
    typer.echo(f"data set {check.dataset} matches its manifest (entry {check.entry})")
