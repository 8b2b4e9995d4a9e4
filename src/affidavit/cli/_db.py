"""``affidavit db``: schema migrations."""

from __future__ import annotations

import typer

from affidavit.config import load_settings
from affidavit.store import open_database
from affidavit.store.engine import head_revision

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Create or migrate the schema to the newest revision."""
    settings = load_settings()
    if settings.database_url.startswith("sqlite"):
        settings.ensure_home()
    open_database(settings.database_url).close()
    typer.echo(f"database at revision {head_revision()}")
