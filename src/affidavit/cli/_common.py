"""Shared pieces of the CLI: settings, opening the ledger, printing JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from affidavit._text import MAX_JSON_DEPTH, check_json_value
from affidavit.clock import Clock, system_clock
from affidavit.config import load_settings
from affidavit.errors import InputError
from affidavit.governance.governor import Governor
from affidavit.ledger.log import Ledger

JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON.")

clock: Clock = system_clock
"""The clock every command runs on (tests run the CLI in-process on their own clock)."""


@contextmanager
def open_ledger() -> Iterator[Ledger]:
    ledger = Ledger.open(load_settings(), clock=clock)
    try:
        yield ledger
    finally:
        ledger.close()


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


TOKEN_OPTION = typer.Option(
    None,
    "--token",
    envvar="AFFIDAVIT_TOKEN",
    help="Your identity token (or AFFIDAVIT_TOKEN).",
    show_envvar=True,
)


ADMIN_TOKEN_OPTION = typer.Option(
    None,
    "--token",
    envvar="AFFIDAVIT_ADMIN_TOKEN",
    help="An admin's token: the act is ledgered as that admin. Without it, as the "
    "operating-system user running this command (local:USER@HOST).",
    show_envvar=True,
)


@contextmanager
def open_governor() -> Iterator[Governor]:
    governor = Governor.open(load_settings(), clock=clock)
    try:
        yield governor
    finally:
        governor.close()


def parse_json_object(text: str | None, what: str) -> dict[str, Any]:
    if text is None or text == "":
        return {}
    if len(text) > 64 * 1024:
        raise InputError(f"{what} is larger than 64 KiB")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} is not valid JSON: {exc.msg} at position {exc.pos}") from None
    except RecursionError:
        raise InputError(f"{what} nests deeper than {MAX_JSON_DEPTH} levels.") from None
    if not isinstance(value, dict):
        raise InputError(f"{what} must be a JSON object")
    check_json_value(value, what)
    return value
