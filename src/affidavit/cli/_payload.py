"""``affidavit payload``: erasure and the retention sweep (local administration)."""

from __future__ import annotations

import typer

from affidavit.cli._common import ADMIN_TOKEN_OPTION, JSON_OPTION, open_governor, print_json
from affidavit.errors import InputError
from affidavit.governance.retention import RetentionPolicy, check_at_least

app = typer.Typer(help="Evidence payloads: erasure and retention.", no_args_is_help=True)


@app.command("erase")
def erase(
    sha256: list[str] = typer.Option([], "--sha256", help="Payload SHA-256 (repeatable)."),
    case: str = typer.Option(None, "--case", help="Erase every payload of this case."),
    reason: str = typer.Option(..., "--reason", help="Why: the request or ruling."),
    token: str = ADMIN_TOKEN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Crypto-shred payloads; the ledger keeps their hashes and records the erasure and who
    did it. Refused under a legal hold; a case with an action of tier 3 or above needs a
    second admin (request-erasure, approve-erasure)."""
    if bool(sha256) == bool(case):
        raise InputError("give either --sha256 (one or more) or --case")
    with open_governor() as gov:
        if case:
            count = gov.erase_case(case, reason=reason, token=token)
            seq = None
        else:
            erasure = gov.erase_payloads(sha256, reason=reason, token=token)
            count, seq = erasure.payloads, erasure.seq
    if as_json:
        print_json({"erased": count, "entry": seq})
    else:
        typer.echo(
            f"erased {count} payloads" + (f" (ledger entry {seq})" if seq is not None else "")
        )


@app.command("request-erasure")
def request_erasure(
    sha256: list[str] = typer.Option([], "--sha256", help="Payload SHA-256 (repeatable)."),
    case: str = typer.Option(None, "--case", help="Every payload of this case."),
    reason: str = typer.Option(..., "--reason", help="Why: the request or ruling."),
    token: str = ADMIN_TOKEN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Ask for an erasure that a second admin must approve; nothing is erased yet."""
    if bool(sha256) == bool(case):
        raise InputError("give either --sha256 (one or more) or --case")
    with open_governor() as gov:
        found = gov.request_erasure(sha256, case=case, reason=reason, token=token)
    if as_json:
        print_json({"request": found.id, "cases": list(found.cases), "by": found.requested_by})
        return
    typer.echo(f"erasure request {found.id} recorded by {found.requested_by}", err=True)
    typer.echo(
        f"another admin approves it: affidavit payload approve-erasure {found.id} --token ..."
    )


@app.command("approve-erasure")
def approve_erasure(
    request: str = typer.Argument(..., help="The erasure request id (ereq_...)."),
    token: str = ADMIN_TOKEN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Approve another admin's erasure request with your admin token; it is carried out."""
    with open_governor() as gov:
        erasure = gov.approve_erasure(request, token=token)
    if as_json:
        print_json({"erased": erasure.payloads, "entry": erasure.seq})
    else:
        typer.echo(f"erased {erasure.payloads} payloads (ledger entry {erasure.seq})")


@app.command("requests")
def requests_(as_json: bool = JSON_OPTION) -> None:
    """List erasure requests waiting for a second admin."""
    with open_governor() as gov:
        found = gov.erasure_requests()
    if as_json:
        print_json(found)
        return
    for r in found:
        typer.echo(f"{r['id']}\t{','.join(r['cases'])}\trequested by {r['requested_by']}")  # type: ignore[arg-type]


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
    token: str = ADMIN_TOKEN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Apply retention by impact: erase payloads past their window (cases on legal hold
    are left alone). The windows are the published configuration's; the options may only
    lengthen them."""
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
        results = gov.sweep_retention(policy, dry_run=dry_run, token=token)
    if as_json:
        print_json([r.__dict__ for r in results] + [{"dry_run": dry_run}])
        return
    verb = "would erase" if dry_run else "erased"
    for r in results:
        typer.echo(f"{r.rule}: {verb} {r.payloads} payloads in {r.cases} cases")
