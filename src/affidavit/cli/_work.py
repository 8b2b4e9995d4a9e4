"""The work an identity does: propose, approve, break glass, review, dispose; and the executor."""

from __future__ import annotations

import typer

from affidavit.cli._common import (
    JSON_OPTION,
    TOKEN_OPTION,
    open_governor,
    parse_json_object,
    print_json,
)
from affidavit.governance.proposals import Proposal


def _summary(proposal: Proposal) -> dict[str, object]:
    return {
        "proposal_id": proposal.id,
        "decision": {
            "effect": proposal.effect,
            "approvals_required": proposal.approvals_required,
            "approver_roles": list(proposal.approver_roles),
        },
        "status": proposal.status,
    }


def propose(
    case: str = typer.Option(..., "--case", help="Case id (opened on first use)."),
    action: str = typer.Option(..., "--action", help="Catalog action id, e.g. isolate_host."),
    target: str = typer.Option(..., "--target", help="KIND:ID, e.g. host:pc-sales-0215."),
    params: str = typer.Option(None, "--params", help="Action parameters as a JSON object."),
    confidence: float = typer.Option(None, "--confidence", help="The proposer's confidence, 0..1."),
    rationale: str = typer.Option("", "--rationale", help="Why."),
    evidence: list[str] = typer.Option([], "--evidence", help="Evidence reference (repeatable)."),
    step: str = typer.Option(None, "--step", help="The step that produced this recommendation."),
    token: str = TOKEN_OPTION,
) -> None:
    """Propose an action; print the decision as JSON."""
    parsed = parse_json_object(params, "--params")
    with open_governor() as gov:
        proposal = gov.propose(
            token,
            case=case,
            action=action,
            target=target,
            params=parsed,
            confidence=confidence,
            rationale=rationale,
            evidence=evidence,
            step=step,
        )
    print_json(_summary(proposal))


def approve(
    proposal_id: str,
    rationale: str = typer.Option("", "--rationale", help="Why (required to deny)."),
    deny: bool = typer.Option(False, "--deny", help="Deny instead of approve."),
    token: str = TOKEN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Approve (or deny) a pending proposal."""
    with open_governor() as gov:
        proposal = gov.approve(token, proposal_id, rationale=rationale, deny=deny)
    if as_json:
        print_json(_summary(proposal))
    else:
        typer.echo(f"{proposal.id} is {proposal.status}")


def breakglass(
    proposal_id: str,
    justification: str = typer.Option(..., "--justification", help="Why this cannot wait."),
    token: str = TOKEN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Authorize without approvals (needs the breakglass right); opens a review."""
    with open_governor() as gov:
        proposal = gov.breakglass(token, proposal_id, justification=justification)
    if as_json:
        print_json(_summary(proposal))
    else:
        typer.echo(f"{proposal.id} is {proposal.status}; a review by another person is now due")


def review(
    proposal_id: str,
    rationale: str = typer.Option(..., "--rationale", help="The review's conclusion."),
    reject: bool = typer.Option(False, "--reject", help="The break-glass was not justified."),
    token: str = TOKEN_OPTION,
) -> None:
    """Close the review of a break-glass (by someone other than who broke it)."""
    with open_governor() as gov:
        gov.review_breakglass(token, proposal_id, upheld=not reject, rationale=rationale)
    typer.echo(f"break-glass on {proposal_id} {'rejected' if reject else 'upheld'}")


def reviews(
    overdue: bool = typer.Option(False, "--overdue", help="Only reviews past their due time."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List break-glass reviews."""
    with open_governor() as gov:
        found = gov.breakglass_reviews(overdue_only=overdue)
    if as_json:
        print_json(found)
        return
    for r in found:
        state = r["outcome"] or ("OVERDUE" if r["overdue"] else f"due {r['due_at']}")
        typer.echo(f"{r['proposal']}\t{r['invoked_by']}\t{state}\t{r['justification']}")


def dispose(
    proposal_id: str,
    outcome: str = typer.Option(
        ..., "--outcome", help="accepted | rejected | overridden | modified"
    ),
    reason: str = typer.Option(..., "--reason", help="Reason code (docs/governance.md)."),
    rationale: str = typer.Option("", "--rationale", help="Why (required unless accepted)."),
    override_with: str = typer.Option(None, "--override-with", help="The proposal chosen instead."),
    evidence: list[str] = typer.Option([], "--evidence", help="Evidence you viewed (repeatable)."),
    supersedes: int = typer.Option(
        None, "--supersedes", help="The entry of the disposition this one replaces."
    ),
    token: str = TOKEN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Record what became of a recommendation, and why (rejecting, overriding or
    modifying one that has not run withdraws it)."""
    with open_governor() as gov:
        seq = gov.dispose(
            token,
            proposal_id,
            outcome=outcome,
            reason=reason,
            rationale=rationale,
            override_with=override_with,
            evidence_viewed=evidence,
            supersedes=supersedes,
        )
    if as_json:
        print_json({"proposal_id": proposal_id, "outcome": outcome, "seq": seq})
    else:
        typer.echo(f"{proposal_id}: {outcome} ({reason}), ledger entry {seq}")


def execute(proposal_id: str, as_json: bool = JSON_OPTION) -> None:
    """Run an authorized proposal now (the executor; local administration)."""
    with open_governor() as gov:
        status = gov.execute(proposal_id)
    if as_json:
        print_json({"proposal_id": proposal_id, "status": status})
    else:
        typer.echo(f"{proposal_id} is {status}")


def detokenize(
    value_token: str = typer.Argument(..., help="A token such as [PII:email:tok_...]."),
    reason: str = typer.Option(..., "--reason", help="Why you need the original."),
    case: str = typer.Option(..., "--case", help="The case you need it for."),
    token: str = TOKEN_OPTION,
) -> None:
    """Reveal a tokenized value (detokenize role; ledgered, the value never is)."""
    with open_governor() as gov:
        typer.echo(gov.detokenize(token, value_token, reason=reason, case=case))
