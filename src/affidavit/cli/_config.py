"""``affidavit config``: the governance configuration — what is allowed (local administration).

The action catalog and the security settings are published here and read from the
ledger only; the environment configures the deployment, never these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from affidavit.cli._common import ADMIN_TOKEN_OPTION, JSON_OPTION, open_governor, print_json
from affidavit.errors import InputError
from affidavit.governance.configuration import MAX_CONFIGURATION_BYTES, Configuration

app = typer.Typer(
    help="The governance configuration: action catalog and security settings.",
    no_args_is_help=True,
)


def _read(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIGURATION_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_CONFIGURATION_BYTES:
        raise InputError(f"{path} is larger than {MAX_CONFIGURATION_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text") from None


@app.command("publish")
def publish(path: Path, token: str = ADMIN_TOKEN_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Validate a configuration (YAML) and put it in force, ledgered with its text under
    the admin who published it."""
    text = _read(path)
    with open_governor() as gov:
        digest = gov.publish_configuration(text, token=token)
        catalog = gov.configuration_by_hash(digest).catalog_hash
    if as_json:
        print_json({"config_hash": digest, "catalog_hash": catalog})
    else:
        typer.echo(f"published configuration {digest} (catalog {catalog})")


@app.command("show")
def show(
    only_hash: bool = typer.Option(False, "--hash", help="Print only the configuration hash."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Print the configuration in force (the built-in one until one is published)."""
    with open_governor() as gov:
        config = gov.configuration()
    built_in = config.hash == Configuration.default().hash
    if only_hash:
        typer.echo(config.hash)
    elif as_json:
        print_json(
            {
                "config_hash": config.hash,
                "catalog_hash": config.catalog_hash,
                "built_in": built_in,
                "settings": config.settings(),
                "actions": {a.id: a.tier for a in config.catalog},
                "text": config.text,
            }
        )
    else:
        origin = "built-in" if built_in else "published"
        typer.echo(f"# configuration {config.hash} ({origin}), catalog {config.catalog_hash}")
        typer.echo(config.text, nl=not config.text.endswith("\n"))


@app.command("history")
def history(as_json: bool = JSON_OPTION) -> None:
    """Every configuration published, oldest first; the last is in force."""
    with open_governor() as gov:
        found = gov.configuration_history()
    if as_json:
        print_json(found)
        return
    if not found:
        typer.echo("none published: the built-in configuration is in force")
    for row in found:
        typer.echo(f"{row['published_seq']:>8}  {row['config_hash']}  by {row['published_by']}")


@app.command("diff")
def diff(path: Path, as_json: bool = JSON_OPTION) -> None:
    """What publishing FILE would change: settings and catalog actions (validates FILE)."""
    proposed = Configuration.parse(_read(path), source=str(path))
    with open_governor() as gov:
        current = gov.configuration()
    changes = configuration_changes(current, proposed)
    if as_json:
        print_json(changes)
        return
    if not changes:
        typer.echo("no change")
    for change in changes:
        typer.echo(f"{change['key']}: {_show(change['from'])} -> {_show(change['to'])}")


def configuration_changes(old: Configuration, new: Configuration) -> list[dict[str, Any]]:
    """Each setting and each catalog action that differs, as {key, from, to}."""
    before, after = _flat(old.settings()), _flat(new.settings())
    found = [
        {"key": k, "from": before.get(k), "to": after.get(k)}
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    ]
    actions_old = {a.id: a.to_dict() for a in old.catalog}
    actions_new = {a.id: a.to_dict() for a in new.catalog}
    for action in sorted(set(actions_old) | set(actions_new)):
        was, now = actions_old.get(action), actions_new.get(action)
        if was == now:
            continue
        found.append(
            {
                "key": f"catalog.{action}",
                "from": None if was is None else f"tier {was['tier']}",
                "to": None if now is None else f"tier {now['tier']}",
            }
        )
    return found


def _flat(settings: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _show(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
