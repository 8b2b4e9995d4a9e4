"""``affidavit case`` and ``affidavit proposal``: reading the work back."""

from __future__ import annotations

from pathlib import Path

import typer

from affidavit.cli import _common
from affidavit.cli._common import (
    ADMIN_TOKEN_OPTION,
    JSON_OPTION,
    TOKEN_OPTION,
    open_governor,
    open_ledger,
    print_json,
)
from affidavit.errors import InputError
from affidavit.oversight import PackScope, export_pack, replay_case

case_app = typer.Typer(help="Cases.", no_args_is_help=True)
proposal_app = typer.Typer(help="Proposals.", no_args_is_help=True)


@case_app.command("list")
def case_list(as_json: bool = JSON_OPTION) -> None:
    """List cases with their number of ledger entries."""
    with open_governor() as gov:
        found = gov.cases()
    if as_json:
        print_json(found)
        return
    for c in found:
        typer.echo(
            f"{c['id']}\t{c['entries']} entries\topened {c['opened_at']} by {c['opened_by']}"
        )


@case_app.command("hold")
def case_hold(
    case_id: str,
    reason: str = typer.Option(..., "--reason", help="The matter or ruling behind the hold."),
    token: str = ADMIN_TOKEN_OPTION,
) -> None:
    """Place a legal hold: no erasure and no retention sweep of the case until released."""
    with open_governor() as gov:
        gov.hold_case(case_id, reason=reason, token=token)
    typer.echo(f"case {case_id} is on legal hold")


@case_app.command("release")
def case_release(
    case_id: str,
    reason: str = typer.Option(..., "--reason", help="Why the hold ends."),
    token: str = ADMIN_TOKEN_OPTION,
) -> None:
    """Release a legal hold (erasure and retention apply again)."""
    with open_governor() as gov:
        gov.release_case(case_id, reason=reason, token=token)
    typer.echo(f"case {case_id} is no longer on legal hold")


@case_app.command("holds")
def case_holds(as_json: bool = JSON_OPTION) -> None:
    """List cases on legal hold."""
    with open_governor() as gov:
        found = gov.case_holds()
    if as_json:
        print_json(found)
        return
    for h in found:
        typer.echo(f"{h['case']}\theld by {h['held_by']} (entry {h['held_seq']})")


@case_app.command("replay")
def case_replay(case_id: str, as_json: bool = JSON_OPTION) -> None:
    """Rebuild a case's timeline and state from ledger entries alone (no state table read)."""
    with open_ledger() as ledger:
        replay = replay_case(ledger, case_id, _common.clock())
    if as_json:
        print_json({"case": case_id, "timeline": replay.timeline, "state": replay.state()})
        return
    if not replay.timeline:
        typer.echo(f"no ledger entries for case {case_id}", err=True)
        raise typer.Exit(3)
    for e in replay.timeline:
        typer.echo(f"{e['seq']:>7}  {e['time']}  {e['type']:<22} {e['actor']:<28} {e['summary']}")
    for pid, state in replay.state().items():
        typer.echo(f"{pid}: {state['status']}")


@case_app.command("export")
def case_export(
    case_id: str = typer.Argument(None, help="The case to export (or give --from and --to)."),
    start: str = typer.Option(
        None, "--from", help="Export a period instead: entries at or after this ISO time."
    ),
    end: str = typer.Option(None, "--to", help="...and before this ISO time (Z or an offset)."),
    output: Path = typer.Option(..., "-o", "--output", help="The evidence pack to write (.zip)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Write an evidence pack: entries, proofs, signed checkpoint, payloads, policy, timeline."""
    if case_id is not None:
        scope = PackScope(case=case_id, start=start, end=end)
    elif start is None or end is None:
        raise InputError("give a case id, or both --from and --to")
    else:
        scope = PackScope.period(start, end)
    with open_ledger() as ledger:
        pack = export_pack(ledger, scope, output)
    if as_json:
        print_json(
            {
                "path": str(pack.path),
                "entries": pack.entries,
                "context_entries": pack.context_entries,
                "payloads": pack.payloads,
                "erased_payloads": pack.erased,
                "bundles": pack.bundles,
                "size": pack.size,
                "root": pack.root.hex(),
                "bytes": pack.bytes,
                "verifier_key": pack.verifier_key,
            }
        )
        return
    typer.echo(
        f"wrote {pack.path}: {pack.entries} entries ({pack.context_entries} cited context), "
        f"{pack.payloads} payloads, {pack.erased} erased, {pack.bundles} policy bundles; "
        f"proven against the checkpoint at tree size {pack.size}; {pack.bytes} bytes"
    )
    typer.echo(f"verify with: affidavit verify-pack {pack.path} --key '{pack.verifier_key}'")


@proposal_app.command("list")
def proposal_list(
    status: str = typer.Option(
        None, "--status", help="pending_approval, authorized, executed, ..."
    ),
    case: str = typer.Option(None, "--case", help="Only this case."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List proposals."""
    with open_governor() as gov:
        found = gov.proposals(status=status, case=case)
    if as_json:
        print_json([p.to_dict() for p in found])
        return
    for p in found:
        typer.echo(f"{p.id}\t{p.case_id}\t{p.action}\t{p.target}\t{p.status}")


@proposal_app.command("evidence")
def proposal_evidence(
    proposal_id: str,
    item: int = typer.Argument(0, help="The item's index in the proposal's evidence list."),
    token: str = TOKEN_OPTION,
) -> None:
    """Open one evidence item of a proposal: records that you opened it (approving an
    action of tier 2 or above needs one opened) and prints its reference."""
    with open_governor() as gov:
        reference = gov.open_evidence(token, proposal_id, item)
    typer.echo(reference)


@proposal_app.command("show")
def proposal_show(proposal_id: str, token: str = TOKEN_OPTION) -> None:
    """Show a proposal with approvals, executions, dispositions. With a person's token,
    this records that they viewed its evidence (some approvals require it)."""
    with open_governor() as gov:
        if token:
            gov.view_evidence(token, proposal_id)
        details = gov.proposal_details(proposal_id)
    print_json(details)
