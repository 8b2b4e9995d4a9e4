"""``affidavit identity``: people and non-human identities (local administration)."""

from __future__ import annotations

import typer

from affidavit.cli._common import ADMIN_TOKEN_OPTION, JSON_OPTION, open_governor, print_json
from affidavit.errors import InputError
from affidavit.governance.identities import Identity, parse_list

app = typer.Typer(help="People, agents, models and integrations.", no_args_is_help=True)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="Identity name, e.g. alice or triage-bot."),
    human: bool = typer.Option(False, "--human", help="A person (has roles)."),
    agent: bool = typer.Option(False, "--agent", help="An AI agent (has an owner and scopes)."),
    model: bool = typer.Option(False, "--model", help="A model identity."),
    integration: bool = typer.Option(False, "--integration", help="An integration."),
    roles: str = typer.Option(
        "", "--roles", help="People: analyst,auditor,admin,breakglass,approver:NAME"
    ),
    owner: str = typer.Option(None, "--owner", help="Non-humans: the accountable person."),
    scopes: str = typer.Option("", "--scopes", help="Non-humans: action ids it may propose."),
    data_classes: str = typer.Option(
        "", "--data-classes", help="Data classes it may see (* = all)."
    ),
    models: str = typer.Option("", "--models", help="Models it may use (empty = any)."),
    expires: str = typer.Option(
        None, "--expires", help="Credential expiry, UTC: 2027-01-31T00:00:00.000000Z"
    ),
    token: str = ADMIN_TOKEN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create an identity and print its token on the last line (shown once)."""
    kinds = [
        k
        for k, on in (
            ("human", human),
            ("agent", agent),
            ("model", model),
            ("integration", integration),
        )
        if on
    ]
    if len(kinds) != 1:
        raise InputError("say exactly one of --human, --agent, --model, --integration")
    identity = Identity(
        id=name,
        kind=kinds[0],
        roles=parse_list(roles),
        owner=owner,
        scopes=parse_list(scopes),
        data_classes=parse_list(data_classes),
        models=parse_list(models),
        expires_at=expires,
    )
    with open_governor() as gov:
        created, issued = gov.add_identity(identity, token=token)
    if as_json:
        print_json({"identity": created.to_dict(), "token": issued})
        return
    typer.echo(f"created {created.kind} {created.id}", err=True)
    typer.echo(issued)


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """List identities (never tokens)."""
    with open_governor() as gov:
        found = gov.identities()
    if as_json:
        print_json([i.to_dict() for i in found])
        return
    for i in found:
        extra = ",".join(i.roles) if i.is_human else f"owner={i.owner} scopes={','.join(i.scopes)}"
        typer.echo(f"{i.id}\t{i.kind}\t{i.status}\t{extra}")


def _status(name: str, status: str, token: str | None, as_json: bool) -> None:
    with open_governor() as gov:
        identity = gov.set_identity_status(name, status, token=token)
    if as_json:
        print_json(identity.to_dict())
    else:
        typer.echo(f"{identity.id} is {identity.status}")


@app.command("suspend")
def suspend(name: str, token: str = ADMIN_TOKEN_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Suspend an identity: its tokens stop working until reactivated."""
    _status(name, "suspended", token, as_json)


@app.command("reactivate")
def reactivate(name: str, token: str = ADMIN_TOKEN_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Reactivate a suspended identity."""
    _status(name, "active", token, as_json)


@app.command("retire")
def retire(name: str, token: str = ADMIN_TOKEN_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Retire an identity for good; its tokens are revoked."""
    _status(name, "retired", token, as_json)


@app.command("rotate")
def rotate(name: str, token: str = ADMIN_TOKEN_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Revoke an identity's tokens and print a new one on the last line."""
    with open_governor() as gov:
        issued, expires = gov.rotate_token(name, token=token)
    if as_json:
        print_json({"identity": name, "token": issued, "expires_at": expires})
        return
    typer.echo(f"rotated {name}; the new token expires {expires}", err=True)
    typer.echo(issued)


@app.command("transfer")
def transfer(
    name: str = typer.Argument(..., help="The agent, model or integration."),
    owner: str = typer.Option(..., "--owner", help="Its new accountable owner (a person)."),
    token: str = ADMIN_TOKEN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Give a non-human identity a new accountable owner (an active person); ledgered."""
    with open_governor() as gov:
        identity = gov.transfer_identity(name, owner, token=token)
    if as_json:
        print_json(identity.to_dict())
    else:
        typer.echo(f"{identity.id} is now owned by {identity.owner}")
