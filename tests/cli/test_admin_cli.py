"""Accountable administration on the command line (issue 9, items 7 and 8).

Before: ``payload erase --actor human:olivia`` ledgered whatever name was given, and
every other administrative command was ledgered as ``system:admin``."""

from __future__ import annotations

import json

import pytest

from affidavit.config import load_settings
from affidavit.ledger.entry import StoredEntry
from affidavit.ledger.log import Ledger
from tests.cli.conftest import Invoke
from tests.conftest import TEST_DATA


def _token(cli: Invoke, *args: str) -> str:
    run = cli("identity", "add", *args)
    assert run.code == 0, run.err
    return run.out.strip().splitlines()[-1]


def local_operator() -> str:
    from affidavit.governance.operators import local_operator as local  # new in issue 9

    return local()


def _ingest(cli: Invoke, sample: str, case: str) -> None:
    ran = cli("alerts", "ingest", str(TEST_DATA / "alerts" / "vendor" / sample), "--case", case)
    assert ran.code == 0, ran.err


def _entries() -> list[StoredEntry]:
    with Ledger.open(load_settings()) as ledger:
        return list(ledger.entries())


@pytest.fixture
def setup(cli: Invoke) -> dict[str, str]:
    tokens = {
        "root": _token(cli, "root", "--human", "--roles", "admin"),
        "ada": _token(cli, "ada", "--human", "--roles", "admin"),
        "dave": _token(cli, "dave", "--human", "--roles", "analyst"),
        "olivia": _token(cli, "olivia", "--human", "--roles", "approver:ir_lead"),
        "carol": _token(cli, "carol", "--human", "--roles", "approver:ir_lead"),
    }
    tokens["triage"] = _token(
        cli, "triage", "--agent", "--owner", "olivia", "--scopes", "enrich_ip_reputation"
    )
    return tokens


def test_a_planted_free_text_actor_is_refused(cli: Invoke, setup: dict[str, str]) -> None:
    _ingest(cli, "falco.json", "C-1")
    size = len(_entries())
    planted = cli("payload", "erase", "--case", "C-1", "--reason", "x", "--actor", "human:olivia")
    assert planted.code == 2 and "--actor" in planted.err
    assert len(_entries()) == size
    erased = cli("payload", "erase", "--case", "C-1", "--reason", "subject request 9")
    assert erased.code == 0, erased.err
    last = _entries()[-1]
    assert (last.type, last.actor) == ("payload.erased", local_operator())
    assert all(e.actor != "system:admin" for e in _entries())


def test_an_admin_token_names_the_admin_and_an_analyst_token_is_refused(
    cli: Invoke, setup: dict[str, str]
) -> None:
    size = len(_entries())
    refused = cli("identity", "suspend", "carol", "--token", setup["dave"])
    assert refused.code == 5 and "admin role" in refused.err
    assert len(_entries()) == size
    assert cli("identity", "suspend", "carol", "--token", setup["root"]).code == 0
    last = _entries()[-1]
    assert (last.type, last.actor) == ("identity.suspended", "human:root")


def test_transfer_an_agent_whose_owner_left(cli: Invoke, setup: dict[str, str]) -> None:
    assert cli("identity", "retire", "olivia").code == 0
    args = ("--case", "C-2", "--action", "enrich_ip_reputation", "--target", "ip:203.0.113.9")
    refused = cli("propose", "--token", setup["triage"], *args)
    assert refused.code == 5 and "no active owner" in refused.err
    moved = cli("identity", "transfer", "triage", "--owner", "carol", "--json")
    assert moved.code == 0, moved.err
    assert json.loads(moved.out)["owner"] == "carol"
    last = _entries()[-1]
    assert (last.type, last.actor) == ("identity.owner_transferred", local_operator())
    assert cli("propose", "--token", setup["triage"], *args).code == 0


def test_hold_blocks_erasure_until_released_and_two_admins_erase_serious_evidence(
    cli: Invoke, setup: dict[str, str]
) -> None:
    _ingest(cli, "falco.json", "C-3")
    held = cli("case", "hold", "C-3", "--reason", "litigation 44", "--token", setup["ada"])
    assert held.code == 0, held.err
    assert "C-3" in cli("case", "holds").out
    blocked = cli("payload", "erase", "--case", "C-3", "--reason", "subject request")
    assert blocked.code == 4 and "legal hold" in blocked.err
    assert cli("case", "release", "C-3", "--reason", "closed", "--token", setup["ada"]).code == 0
    assert cli("payload", "erase", "--case", "C-3", "--reason", "subject request").code == 0

    serious = cli(
        "propose", "--token", setup["olivia"], "--case", "C-4",
        "--action", "revoke_sessions", "--target", "user:bob@corp.example",
    )  # fmt: skip
    assert serious.code == 0, serious.err
    _ingest(cli, "crowdstrike_falcon.json", "C-4")
    alone = cli("payload", "erase", "--case", "C-4", "--reason", "x", "--token", setup["root"])
    assert alone.code == 6 and "second admin" in alone.err
    asked = cli(
        "payload", "request-erasure", "--case", "C-4", "--reason", "court order",
        "--token", setup["root"], "--json",
    )  # fmt: skip
    assert asked.code == 0, asked.err
    request = json.loads(asked.out)["request"]
    assert request in cli("payload", "requests").out
    same = cli("payload", "approve-erasure", request, "--token", setup["root"])
    assert same.code == 6 and "second person" in same.err
    done = cli("payload", "approve-erasure", request, "--token", setup["ada"])
    assert done.code == 0, done.err
    assert [e.actor for e in _entries()[-2:]] == ["human:ada", "human:ada"]
    assert cli("ledger", "verify").code == 0
