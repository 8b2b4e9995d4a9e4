"""``affidavit notify``: the notification worker, its queue, and a test message per role."""

from __future__ import annotations

import fcntl
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import typer

from affidavit.cli import _common
from affidavit.cli._common import JSON_OPTION, open_governor, open_ledger, print_json
from affidavit.clock import iso
from affidavit.config import load_settings
from affidavit.errors import Conflict
from affidavit.notify import (
    STATE_FILE,
    DeliveryError,
    NotifyState,
    RoundSummary,
    load_notify_config,
    make_sender,
    ping_notice,
)

app = typer.Typer(help="Notifications to approvers (docs/notifications.md).", no_args_is_help=True)
LOCK_FILE = "notify.lock"


@contextmanager
def _single_worker(home: Path) -> Iterator[None]:
    """One worker per AFFIDAVIT_HOME: two would send every message twice."""
    fd = os.open(home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(f"another `affidavit notify run` is already using {home}") from None
        yield
    finally:
        os.close(fd)


def _report(summary: RoundSummary, *, quiet_when_idle: bool) -> None:
    for problem in summary.problems:
        typer.echo(f"warning: {problem}", err=True)
    busy = summary.queued or summary.sent or summary.failed or summary.dropped
    if busy or not quiet_when_idle:
        typer.echo(
            f"{iso(_common.clock())}  read {summary.scanned} entries, queued {summary.queued}, "
            f"sent {summary.sent} ({summary.digests} digests), failed {summary.failed}, "
            f"dropped {summary.dropped}"
        )


@app.command("run")
def run(
    once: bool = typer.Option(False, "--once", help="One round, then exit (for cron or tests)."),
    interval: float = typer.Option(
        2.0, "--interval", min=0.1, max=3600, help="Seconds between rounds."
    ),
) -> None:
    """Tail the ledger and send notifications; until interrupted, or one round with --once."""
    settings = load_settings()
    home = settings.ensure_home()
    config = load_notify_config(home)
    stop = threading.Event()
    if not once:  # before the lock is taken: a SIGTERM during start-up still ends cleanly
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with _single_worker(home), open_governor() as gov:
        state = NotifyState.open(home)
        notifier = gov.notifier(config, state)
        try:
            if once:
                _report(notifier.run_once(), quiet_when_idle=False)
                return
            with suppress(KeyboardInterrupt):  # Ctrl-C ends the worker between sends
                notifier.run(
                    stop,
                    interval_s=interval,
                    on_round=lambda s: _report(s, quiet_when_idle=True),
                )
        finally:
            notifier.close()
            state.close()


@app.command("status")
def status(
    show_all: bool = typer.Option(False, "--all", help="Also list sent and dropped deliveries."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The ledger cursor, and pending and failed deliveries with attempts and last error."""
    settings = load_settings()
    if not (settings.home / STATE_FILE).exists():
        typer.echo(f"no notifier has run in {settings.home} yet")
        return
    with open_ledger() as ledger:
        size = ledger.size()
    state = NotifyState.open(settings.home)
    try:
        statuses = ["pending", "failed", "sent", "dropped"] if show_all else ["pending", "failed"]
        cursor, counts = state.cursor(), state.counts()
        listed = state.deliveries(statuses)
        paused = state.paused_channels(_common.clock())
    finally:
        state.close()
    if as_json:
        print_json(
            {
                "cursor": cursor,
                "ledger_size": size,
                "counts": counts,
                "paused_channels": paused,
                "deliveries": [d.to_json() for d in listed],
            }
        )
        return
    typer.echo(f"ledger: read up to entry {cursor} of {size} ({size - cursor} to read)")
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("pending", "failed", "sent", "dropped"))
    typer.echo(f"deliveries: {summary}")
    for name, until in sorted(paused.items()):
        typer.echo(f"channel {name} paused after a failure until {until}")
    for d in listed:
        when = f"next {d.next_attempt_at}" if d.status == "pending" else d.done_at
        error = f"  last error: {d.last_error}" if d.last_error else ""
        typer.echo(
            f"{d.id:>6}  {d.status:<8} {d.channel:<16} {d.event.kind:<18} {d.event.proposal}  "
            f"attempts {d.attempts}  {when}{error}"
        )


@app.command("test")
def send_test(
    role: str = typer.Argument(..., help="An approver role in notify.yaml, or fallback."),
) -> None:
    """Send a test message to every channel of ROLE now; no proposal is involved."""
    settings = load_settings()
    config = load_notify_config(settings.home)
    route = config.route(role)
    failed = 0
    for name in route.channels:
        sender = make_sender(config.channels[name])
        try:
            sender.send(ping_notice(role, config.console_url, _common.clock()))
            typer.echo(f"ok      {name} ({sender.channel.type})")
        except DeliveryError as exc:
            failed += 1
            typer.echo(f"FAILED  {name} ({sender.channel.type}): {exc.message}")
        finally:
            sender.close()
    if failed:
        raise DeliveryError(f"{failed} of {len(route.channels)} channels of {role} failed")
