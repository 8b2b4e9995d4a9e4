"""``affidavit db``: schema migrations, and state rebuilt from the ledger."""

from __future__ import annotations

import typer

from affidavit.cli._common import JSON_OPTION, open_governor, print_json
from affidavit.config import load_settings
from affidavit.store import open_database
from affidavit.store.engine import head_revision

app = typer.Typer(help="Database schema and state.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Create or migrate the schema to the newest revision."""
    settings = load_settings()
    if settings.database_url.startswith("sqlite"):
        settings.ensure_home()
    open_database(settings.database_url).close()
    typer.echo(f"database at revision {head_revision()}")


@app.command("rebuild")
def rebuild(as_json: bool = JSON_OPTION) -> None:
    """Rebuild every state table from the ledger in place (one transaction), then verify."""
    with open_governor() as gov:
        report = gov.rebuild_state()
    if as_json:
        print_json({"entries": report.entries, "changed": report.changed})
        return
    typer.echo(f"rebuilt the state tables from {report.entries} ledger entries; ledger verified")
    if not report.changed:
        typer.echo("every table already matched the ledger")
    for table, rows in sorted(report.changed.items()):
        typer.echo(f"{table}: {rows} rows differed from the ledger and were corrected")
