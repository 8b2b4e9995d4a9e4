"""``affidavit demo``: the main job, end to end, then the server (see affidavit.demo)."""

from __future__ import annotations

import importlib.util
import os
import time
from collections import Counter
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from affidavit.cli._common import open_governor
from affidavit.errors import InputError

if TYPE_CHECKING:
    from affidavit.demo import DemoReport

MAX_DEMO_ALERTS = 100_000


def demo(
    alerts: int = typer.Option(200, "--alerts", help="How many sample alerts to generate."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Run headless, print, exit."),
    llm_url: str | None = typer.Option(
        None,
        "--llm-url",
        help="An OpenAI-compatible base URL (e.g. http://localhost:11434/v1) to use a real "
        "model instead of the rule-based one; its key from AFFIDAVIT_UPSTREAM_API_KEY.",
    ),
    llm_model: str = typer.Option("soc-rules", "--llm-model", help="Model name for --llm-url."),
    host: str = typer.Option("127.0.0.1", "--host", help="Where to serve afterwards."),
    port: int = typer.Option(8440, "--port", help="Port to serve on afterwards."),
) -> None:
    """Run the main job (agents through the gateways, people deciding) and serve the result."""
    if not 1 <= alerts <= MAX_DEMO_ALERTS:
        raise InputError(f"--alerts must be between 1 and {MAX_DEMO_ALERTS}, got {alerts}")
    if llm_url is not None and not llm_url.startswith(("http://", "https://")):
        raise InputError("--llm-url must be an http:// or https:// URL")
    if not 0 < port < 65536:
        raise InputError("--port must be between 1 and 65535")
    from affidavit.demo import run_demo  # servers, gateways, MCP: loaded for the demo only

    console = Console()
    started = time.perf_counter()
    with open_governor() as gov:
        report = run_demo(
            gov,
            alerts,
            llm_url=llm_url,
            llm_model=llm_model,
            llm_key=os.environ.get("AFFIDAVIT_UPSTREAM_API_KEY") or None,
        )
    elapsed = time.perf_counter() - started
    _summary(console, report)
    console.print(
        f"done in {elapsed:.2f}s; log {report.origin}; verifier key: {report.verifier_key}",
        soft_wrap=True,
    )
    if no_serve:
        return
    from affidavit.cli._serve import serve

    url = f"http://{host}:{port}"
    console_ui = importlib.util.find_spec("affidavit.web") is not None
    console.print(f"\nserving the API at [bold]{url}/v1[/] (docs at {url}/docs)")
    if console_ui:
        console.print(f"console: [bold]{url}/console/[/] (log in with a token below)")
    console.print("log in as (one token per persona):")
    for persona, token in report.tokens.items():
        console.print(f"  {persona}: {token}", soft_wrap=True, highlight=False)
    console.print("Ctrl-C stops the server; the ledger stays in AFFIDAVIT_HOME.")
    serve(host=host, port=port, workers=1, log_level="warning")


def _summary(console: Console, report: DemoReport) -> None:
    assert report.verify is not None
    table = Table(title="Alerts ingested", show_edge=False)
    table.add_column("vendor")
    table.add_column("alerts", justify="right")
    for vendor, count in sorted(Counter(r.vendor for r in report.alerts).items()):
        table.add_row(vendor, str(count))
    console.print(table)
    fresh = sum(r.seq is not None for r in report.alerts)
    console.print(
        f"[bold]{fresh}[/] alerts recorded in their cases ({len(report.alerts) - fresh} duplicates)"
    )
    console.print(
        f"gateways: {report.model_calls} model calls through the model gateway, "
        f"{report.tool_calls} tool calls through the MCP gateway ({report.tools_forwarded} ran); "
        f"credentials that reached the model: {report.credentials_seen} "
        f"(it saw {report.placeholders_seen} masked placeholders instead)"
    )
    console.print(
        f"agents: {report.steps} steps recorded; proposals by decision: "
        + ", ".join(f"{k} {v}" for k, v in sorted(report.effects.items()))
    )
    console.print(
        f"people: {report.approvals} approvals, {report.denials} denials, "
        f"{report.breakglass} break-glass (reviewed), dispositions: "
        + ", ".join(f"{k} {v}" for k, v in sorted(report.dispositions.items()))
    )
    console.print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(report.statuses.items())))
    kinds = {r.split(":", 1)[0]: r for r in report.refusals}
    for refusal in kinds.values():
        console.print(f"  refused, as it should be: {refusal}", soft_wrap=True)
    console.print(
        "executed by: "
        + (", ".join(f"{k} {v}" for k, v in sorted(report.executors.items())) or "nobody")
    )
    if any(report.world.values()):  # the gateway's tool server acts on nothing real
        console.print(
            "simulated systems now: " + ", ".join(f"{k} {v}" for k, v in report.world.items())
        )
    console.print(
        f"case replay from the ledger alone equals the state tables: {report.cases_replayed} cases"
    )
    console.print(
        f"ledger verify: [green]ok[/] ({report.verify.size} entries, {report.verify.checkpoints} "
        f"checkpoints, {report.verify.payloads} payloads)"
    )
    console.print(
        f"auditor check: entry {report.proof_seq} is in the tree signed at size "
        f"{report.checkpoint_size} ({report.proof_hashes} hashes); size {report.old_size} -> "
        f"{report.checkpoint_size} is consistent"
    )
