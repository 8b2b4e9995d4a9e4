"""``affidavit health``: governance health signals computed from the ledger."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from affidavit.cli import _common
from affidavit.cli._common import JSON_OPTION, print_json
from affidavit.config import load_settings
from affidavit.governance.configuration_store import read_configuration
from affidavit.ledger.log import Ledger
from affidavit.oversight import HealthReport, HealthThresholds, SpikeSettings, Window, health_report
from affidavit.oversight.health import HealthState
from affidavit.oversight.snapshot import current_state, save_state

SNAPSHOT = "health-state.json"

FROM_OPTION = typer.Option(None, "--from", help="First day, YYYY-MM-DD (UTC).")
TO_OPTION = typer.Option(None, "--to", help="Last day, YYYY-MM-DD (UTC), included.")


def folded_state() -> tuple[HealthState, datetime]:
    """The health state folded to the ledger's end (resumed from the saved snapshot), and now."""
    settings = load_settings()
    with Ledger.open(settings, create=False, clock=_common.clock) as ledger:
        spike = SpikeSettings.from_threshold(read_configuration(ledger.db).spike_alerts_per_15m)
        path = settings.home / SNAPSHOT if settings.home.is_dir() else None
        state = current_state(ledger, path, spike)
        if path is not None and state.resumed_from != state.position:
            save_state(state, path)
    return state, _common.clock()


def health(
    first: str = FROM_OPTION,
    last: str = TO_OPTION,
    thresholds: Path = typer.Option(
        None, "--thresholds", help="YAML file of signal thresholds (docs/oversight.md)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Governance health: acceptance rates, approval latency, rubber-stamp signals,
    alert surges, drift, overdue break-glass reviews, agents whose owner left."""
    window = Window.parse(first, last)
    limits = HealthThresholds.load(thresholds) if thresholds is not None else HealthThresholds()
    state, now = folded_state()
    report = health_report(state, window=window, thresholds=limits, now=now)
    if as_json:
        print_json(report.to_dict())
    else:
        show(report)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _secs(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} s" if value < 120 else f"{value / 60:.1f} min"


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    return table


def show(report: HealthReport) -> None:
    console = Console()
    window = report.window
    console.print(
        f"[bold]Governance health[/bold] {window['from'] or 'start'} .. {window['to'] or 'now'}"
        f"  (as of {window['as_of']}, {window['entries']} entries)"
    )
    rates = _table("Dispositions by agent", "agent", "n", "accepted", "overridden", "rejected")
    for row in report.rates["agent"]:
        rates.add_row(
            str(row["agent"]).partition(":")[2],
            str(row["dispositions"]),
            _pct(row["acceptance_rate"]),
            _pct(row["override_rate"]),
            _pct(row["rejection_rate"]),
        )
    console.print(rates)
    lat = report.latency
    console.print(
        f"[bold]Approval latency[/bold]: {lat['count']} approvals, p50 {_secs(lat['p50_s'])}, "
        f"p90 {_secs(lat['p90_s'])}, p99 {_secs(lat['p99_s'])}"
    )
    people = _table("Approvers", "approver", "decisions", "approve", "fast", "no evidence", "flags")
    for row in report.approvers:
        flags = ", ".join(row["flags"])
        people.add_row(
            row["approver"],
            str(row["decisions"]),
            _pct(row["approval_rate"]),
            str(row["fast"]),
            str(row["no_evidence"]),
            f"[red]{flags}[/red]" if flags else "",
        )
    console.print(people)
    _alerts(console, report.alerts)
    for row in report.drift:
        if row["flagged"]:
            console.print(
                f"[red]drift[/red]: {row['agent']} acceptance {_pct(row['baseline_rate'])} -> "
                f"{_pct(row['recent_rate'])} since {row['recent_from']}"
            )
    for review in report.breakglass["overdue"]:
        console.print(
            f"[red]overdue break-glass review[/red]: {review['proposal']} "
            f"(by {review['invoked_by']}, due {review['due']}, entry {review['entry']})"
        )
    for agent in report.orphaned_agents:
        console.print(
            f"[red]owner gone[/red]: agent {agent['agent']} is owned by {agent['owner']} "
            f"({agent['owner_status']})"
        )


def _alerts(console: Console, alerts: dict[str, Any]) -> None:
    console.print(
        f"[bold]Alerts[/bold]: {alerts['total']} ingested; now {alerts['rate_per_15m']:.0f} per "
        f"15 min (surge above {alerts['threshold_per_15m']:.0f})"
    )
    for spike in alerts["spikes"]:
        end = spike["end"] or "[red]ongoing[/red]"
        console.print(f"  surge {spike['start']} .. {end}, peak {spike['peak_per_15m']}/15 min")
