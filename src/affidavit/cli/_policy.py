"""``affidavit policy`` and ``affidavit assets``: what policy decides on (local administration)."""

from __future__ import annotations

from pathlib import Path

import typer

from affidavit.cli._common import ADMIN_TOKEN_OPTION, JSON_OPTION, open_governor, print_json
from affidavit.errors import InputError, PolicyError

policy_app = typer.Typer(help="Cedar policy bundles.", no_args_is_help=True)
assets_app = typer.Typer(help="Asset context for policy.", no_args_is_help=True)

MAX_POLICY_BYTES = 1024 * 1024


def _read_text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_POLICY_BYTES:
            raise InputError(f"{path} is larger than {MAX_POLICY_BYTES} bytes")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text") from None


@policy_app.command("publish")
def publish(path: Path, token: str = ADMIN_TOKEN_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Validate a Cedar bundle against the schema and make it the active policy."""
    text = _read_text(path)
    with open_governor() as gov:
        digest = gov.publish_policy(text, token=token)
    if as_json:
        print_json({"bundle_hash": digest})
    else:
        typer.echo(f"published bundle {digest}")


@policy_app.command("show")
def show(as_json: bool = JSON_OPTION) -> None:
    """Print the active bundle (the shipped default until one is published)."""
    with open_governor() as gov:
        digest, text = gov.active_policy()
    if as_json:
        print_json({"bundle_hash": digest, "text": text})
    else:
        typer.echo(f"// bundle {digest}")
        typer.echo(text, nl=False)


@policy_app.command("test")
def run_cases(
    cases: Path,
    bundle: Path = typer.Option(
        None, "--bundle", help="Test this bundle instead of the active one."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run expected-decision cases (YAML) against the policy; exit 6 if any fails."""
    text = _read_text(bundle) if bundle is not None else None
    with open_governor() as gov:
        results = gov.test_policy(cases, text)
    failed = [r for r in results if not r.passed]
    if as_json:
        print_json(
            [
                {
                    "name": r.name,
                    "passed": r.passed,
                    "failures": list(r.failures),
                    "effect": None if r.decision is None else r.decision.effect,
                    "refusal": r.refusal,
                }
                for r in results
            ]
        )
    else:
        for r in results:
            why = "" if r.passed else ": " + "; ".join(r.failures)
            typer.echo(f"{'ok  ' if r.passed else 'FAIL'} {r.name}{why}")
        typer.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise PolicyError(f"{len(failed)} of {len(results)} policy cases failed")


@assets_app.command("import")
def import_(path: Path, token: str = ADMIN_TOKEN_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Import assets from CSV or YAML (id, kind, criticality, environment, owner, tags)."""
    with open_governor() as gov:
        count = gov.import_assets(path, token=token)
    if as_json:
        print_json({"imported": count})
    else:
        typer.echo(f"imported {count} assets")
