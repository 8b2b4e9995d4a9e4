"""The ``affidavit`` command line (Typer + Rich).

Every command honours ``AFFIDAVIT_HOME`` and ``AFFIDAVIT_DATABASE_URL``. Errors
from the :mod:`affidavit.errors` hierarchy become one ``error: ...`` line on
stderr and the error's exit code, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from affidavit.cli import _work
from affidavit.cli._alerts import app as alerts_app
from affidavit.cli._case import case_app, proposal_app
from affidavit.cli._config import app as config_app
from affidavit.cli._dataset import app as dataset_app
from affidavit.cli._db import app as db_app
from affidavit.cli._demo import demo
from affidavit.cli._export import app as export_app
from affidavit.cli._gateway import app as gateway_app
from affidavit.cli._health import health
from affidavit.cli._identity import app as identity_app
from affidavit.cli._ledger import app as ledger_app
from affidavit.cli._notify import app as notify_app
from affidavit.cli._payload import app as payload_app
from affidavit.cli._policy import assets_app, policy_app
from affidavit.cli._report import app as report_app
from affidavit.cli._serve import serve
from affidavit.cli._verify_pack import verify_pack
from affidavit.cli._witness import app as witness_app
from affidavit.errors import AffidavitError

__all__ = ["app", "main"]

app = typer.Typer(
    name="affidavit",
    help="Governance layer for AI-driven security operations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(ledger_app, name="ledger")
app.add_typer(db_app, name="db")
app.add_typer(alerts_app, name="alerts")
app.command("demo")(demo)
app.command("serve")(serve)
app.command("health")(health)
app.add_typer(identity_app, name="identity")
app.add_typer(assets_app, name="assets")
app.add_typer(policy_app, name="policy")
app.add_typer(config_app, name="config")
app.add_typer(case_app, name="case")
app.add_typer(proposal_app, name="proposal")
app.add_typer(payload_app, name="payload")
app.add_typer(witness_app, name="witness")
app.add_typer(export_app, name="export")
app.add_typer(report_app, name="report")
app.add_typer(dataset_app, name="dataset")
app.command("verify-pack")(verify_pack)
app.add_typer(notify_app, name="notify")
app.add_typer(gateway_app, name="gateway")
for _command in (
    _work.propose,
    _work.approve,
    _work.breakglass,
    _work.review,
    _work.reviews,
    _work.dispose,
    _work.execute,
    _work.detokenize,
):
    app.command(_command.__name__)(_command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app, turning our errors into one line."""
    try:
        app(args=argv)
    except AffidavitError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
