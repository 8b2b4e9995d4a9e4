"""Shared pieces of the CLI: settings, opening the ledger, printing JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from affidavit.config import load_settings
from affidavit.ledger.log import Ledger

JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON.")


@contextmanager
def open_ledger() -> Iterator[Ledger]:
    ledger = Ledger.open(load_settings())
    try:
        yield ledger
    finally:
        ledger.close()


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))
