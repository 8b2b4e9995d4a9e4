"""``affidavit payload``: erasure and the retention sweep (local administration)."""

from __future__ import annotations

import typer

from affidavit.cli._common import JSON_OPTION, open_governor, print_json
from affidavit.errors import InputError
from affidavit.governance.retention import RetentionPolicy, check_at_least

app = typer.Typer(help="Evidence payloads: erasure and retention.", no_args_is_help=True)


@app.command("erase")
def erase(
    sha256: list[str] = typer.Option([], "--sha256", help="Payload SHA-256 (repeatable)."),
    case: str = typer.Option(None, "--case", help="Erase every payload of this case."),
    reason: str = typer.Option(..., "--reason", help="Why: the request or ruling."),
    actor: str = typer.Option("system:admin", "--actor", help="Who asked, e.g. human:dpo."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Crypto-shred payloads; the ledger keeps their hashes and records the erasure."""
    if bool(sha256) == bool(case):
        raise InputError("give either --sha256 (one or more) or --case")
    with open_governor() as gov:
        if case:
            count = gov.erase_case(case, actor=actor, reason=reason)
            seq = None
        else:
            erasure = gov.erase_payloads(sha256, actor=actor, reason=reason)
            count, seq = erasure.payloads, erasure.seq
    if as_json:
        print_json({"erased": count, "entry": seq})
    else:
        typer.echo(
            f"erased {count} payloads" + (f" (ledger entry {seq})" if seq is not None else "")
        )


@app.command("sweep")
def sweep_(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be erased."),
    full_days: float = typer.Option(
        None,
        "--full-days",
        help="Keep impact cases this long (default and minimum: the published configuration).",
    ),
    short_days: float = typer.Option(
        None,
        "--short-days",
        help="Keep other cases this long (default and minimum: the published configuration).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Apply retention by impact: erase payloads past their window. The windows are the
    published configuration's; the options may only lengthen them."""
    with open_governor() as gov:
        policy = None
        if full_days is not None or short_days is not None:
            configured = gov.configuration().retention
            full = configured.full_days if full_days is None else full_days
            short = configured.short_days if short_days is None else short_days
            check_at_least(configured, full, short, configured.impact_tier)
            policy = RetentionPolicy(
                full_days=full, short_days=short, impact_tier=configured.impact_tier
            )
        results = gov.sweep_retention(policy, dry_run=dry_run)
    if as_json:
        print_json([r.__dict__ for r in results] + [{"dry_run": dry_run}])
        return
    verb = "would erase" if dry_run else "erased"
    for r in results:
        typer.echo(f"{r.rule}: {verb} {r.payloads} payloads in {r.cases} cases")
