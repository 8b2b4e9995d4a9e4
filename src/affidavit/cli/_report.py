"""``affidavit report compliance``: controls mapped to evidence in the ledger."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from affidavit.cli import _common
from affidavit.cli._health import FROM_OPTION, TO_OPTION
from affidavit.config import load_settings
from affidavit.errors import InputError, StorageError
from affidavit.governance.configuration_store import read_configuration
from affidavit.ledger.log import Ledger
from affidavit.oversight import HealthState, HealthThresholds, SpikeSettings, Window
from affidavit.oversight.report import compliance_report, load_controls

app = typer.Typer(help="Reports over the ledger.", no_args_is_help=True)

FORMATS = ("html", "pdf", "json")


@app.command("compliance")
def compliance(
    first: str = FROM_OPTION,
    last: str = TO_OPTION,
    fmt: str = typer.Option("html", "--format", help="html, pdf or json."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write."),
    controls: list[Path] = typer.Option(
        [], "--controls", help="YAML file of more controls (repeatable; same id replaces)."
    ),
    thresholds: Path = typer.Option(None, "--thresholds", help="YAML file of signal thresholds."),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Verify the ledger first."),
) -> None:
    """Controls of NIST AI RMF, NIST CSF, OWASP Agentic, CSA MAESTRO, the EU AI Act and
    ISO/IEC 42001, each pass / gap / not applicable with the entries that show it."""
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}")
    window = Window.parse(first, last)
    catalogue = load_controls(*controls)
    limits = HealthThresholds.load(thresholds) if thresholds is not None else HealthThresholds()
    settings = load_settings()
    with Ledger.open(settings, create=False, clock=_common.clock) as ledger:
        # Folded afresh, not from the health snapshot: a report is evidence, a snapshot a cache.
        config = read_configuration(ledger.db)
        state = HealthState(SpikeSettings.from_threshold(config.spike_alerts_per_15m))
        state.catch_up(ledger)
        report = compliance_report(
            ledger,
            state,
            window=window,
            now=_common.clock(),
            controls=catalogue,
            thresholds=limits,
            verify=verify,
        )
    if fmt == "json":
        data = json.dumps(report.to_dict(), indent=2, sort_keys=True).encode()
    elif fmt == "html":
        from affidavit.oversight.render_html import render_html

        data = render_html(report).encode()
    else:
        from affidavit.oversight.render_pdf import render_pdf

        data = render_pdf(report)
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise StorageError(f"cannot write {output}: {exc.strerror}") from None
    summary = report.summary()
    typer.echo(
        f"{output}: {len(report.results)} controls, {summary['pass']} pass, {summary['gap']} gap, "
        f"{summary['not_applicable']} not applicable"
    )
