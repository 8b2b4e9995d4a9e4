"""Hostile input at the CLI is one clear line and writes nothing (issue 9, item 11)."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Invoke


def _token(cli: Invoke, *args: str) -> str:
    run = cli("identity", "add", *args)
    assert run.code == 0, run.err
    return run.out.strip().splitlines()[-1]


def _size(cli: Invoke) -> int:
    return int(json.loads(cli("ledger", "verify", "--json").out)["size"])


@pytest.mark.parametrize(
    "params",
    [
        '{"message": ' + "[" * 30000 + "]" * 30000 + "}",  # past json's own recursion
        '{"message": ' + "[" * 900 + "]" * 900 + "}",  # parses, then recursed in checks
        '{"message": ' + '{"a": ' * 6000 + "1" + "}" * 6000 + "}",
    ],
)
def test_deeply_nested_params_are_one_clear_line(cli: Invoke, params: str) -> None:
    alice = _token(cli, "alice", "--human", "--roles", "analyst")
    before = _size(cli)
    run = cli(
        "propose",
        "--case",
        "C",
        "--action",
        "notify_owner",
        "--target",
        "host:pc-1",
        "--params",
        params,
        "--token",
        alice,
    )
    assert run.code == 2, run.err
    assert run.err.startswith("error: ") and len(run.err.strip().splitlines()) == 1, run.err
    assert "nests deeper than" in run.err
    assert _size(cli) == before


def test_a_rationale_with_bidi_overrides_is_refused(cli: Invoke) -> None:
    alice = _token(cli, "alice", "--human", "--roles", "analyst")
    before = _size(cli)
    run = cli(
        "propose",
        "--case",
        "C",
        "--action",
        "enrich_ip_reputation",
        "--target",
        "ip:203.0.113.9",
        "--rationale",
        "benign \u202etsohlacol\u202c scan",
        "--token",
        alice,
    )
    assert run.code == 2, run.err
    assert "bidirectional" in run.err and "\u202e" not in run.err
    assert _size(cli) == before
