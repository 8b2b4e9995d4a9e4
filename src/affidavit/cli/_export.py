"""``affidavit export``: deliver ledger events to the SIEM, syslog and OpenTelemetry."""

from __future__ import annotations

import signal
import threading
from typing import Any

import typer

from affidavit.cli._common import JSON_OPTION, open_ledger, print_json
from affidavit.config import load_settings
from affidavit.errors import AffidavitError, ConfigError
from affidavit.export import (
    EXPORT_FILE,
    ExportConfig,
    Exporter,
    SinkReport,
    StateStore,
    build_sinks,
    load_export_config,
)

app = typer.Typer(help="Export ledger events to the SOC's tools.", no_args_is_help=True)

SINK_OPTION = typer.Option(None, "--sink", help="Only this sink (repeatable; default: all).")


def _config() -> tuple[ExportConfig, StateStore]:
    settings = load_settings()
    config = load_export_config(settings.home / EXPORT_FILE)
    if not config.sinks:
        raise ConfigError(
            f"{settings.home / EXPORT_FILE} names no sinks; add a sinks section (docs/export.md)."
        )
    return config, StateStore(settings.home / "export")


def _line(report: SinkReport) -> str:
    cursor = "-" if report.last_seq is None else str(report.last_seq)
    text = f"{report.sink}\t{report.events} events\tcursor {cursor}\tbacklog {report.backlog}"
    return text if report.ok else f"{text}\tFAILING: {report.error}"


@app.command("run")
def run(
    once: bool = typer.Option(False, "--once", help="Deliver what is there, then exit."),
    sinks: list[str] = SINK_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Deliver new ledger entries to the sinks in export.yaml; keep going until stopped."""
    config, state = _config()
    with open_ledger() as ledger, state.lock():
        exporter = Exporter(
            ledger, config, build_sinks(config, ledger.origin, names=sinks or ()), state
        )
        try:
            if not once:
                stop = threading.Event()
                for signum in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(signum, lambda *_: stop.set())
                count = len(sinks) if sinks else len(config.sinks)
                typer.echo(f"exporting to {count} sinks; stop with Ctrl-C", err=True)
                exporter.run(stop)
                return
            reports = exporter.run_once()
        finally:
            exporter.close()
    if as_json:
        print_json([_report_json(r) for r in reports])
    else:
        for report in reports:
            typer.echo(_line(report))
    failing = [r for r in reports if not r.ok]
    if failing:
        names = ", ".join(r.sink for r in failing)
        raise AffidavitError(
            f"{len(failing)} sink(s) could not deliver ({names}); their entries stay in the "
            "backlog and the next run sends them."
        )


def _report_json(report: SinkReport) -> dict[str, Any]:
    return {
        "sink": report.sink,
        "events": report.events,
        "last_seq": report.last_seq,
        "backlog": report.backlog,
        "error": report.error,
    }


@app.command("status")
def status(as_json: bool = JSON_OPTION) -> None:
    """Each sink's cursor, backlog and last error."""
    config, state = _config()
    with open_ledger() as ledger:
        size = ledger.size()
    rows = []
    for sink in config.sinks:
        saved = state.load(sink.name)
        rows.append(
            {
                "sink": sink.name,
                "type": sink.type,
                "last_seq": saved.last_seq,
                "backlog": max(0, size - saved.next_seq),
                "delivered": saved.delivered,
                "failures": saved.failures,
                "last_error": saved.last_error,
                "last_success": saved.last_success,
            }
        )
    if as_json:
        print_json({"ledger_size": size, "sinks": rows})
        return
    for row in rows:
        cursor = "-" if row["last_seq"] is None else row["last_seq"]
        line = (
            f"{row['sink']}\t{row['type']}\tcursor {cursor}\tbacklog {row['backlog']}\t"
            f"delivered {row['delivered']}"
        )
        if row["failures"]:
            line += f"\tfailing ({row['failures']} tries): {row['last_error']}"
        typer.echo(line)
