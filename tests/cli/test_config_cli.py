"""``affidavit config``: publish, show, diff, history; and the environment attacks as the
issue ran them, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke
from tests.conftest import Clock

EVIL_CATALOG = """\
actions:
  - id: delete_mailbox_items
    name: Delete mailbox items
    description: moved to tier 0
    tier: 0
    target_kinds: [mailbox]
    reversible: true
    connector: email
    params:
      type: object
      properties: {message_ids: {type: array, items: {type: string}}}
      additionalProperties: false
"""


def _token(cli: Invoke, *args: str) -> str:
    run = cli("identity", "add", *args)
    assert run.code == 0, run.err
    return run.out.strip().splitlines()[-1]


def test_publish_show_diff_history(cli: Invoke, tmp_path: Path) -> None:
    built_in = cli("config", "show", "--json")
    assert built_in.code == 0, built_in.err
    shown = json.loads(built_in.out)
    assert shown["built_in"] and shown["actions"]["delete_mailbox_items"] == 4
    assert cli("config", "history").out.startswith("none published")

    new = tmp_path / "config.yaml"
    new.write_text(
        "approvals: {owner_may_approve: true}\n"
        "retention: {impact_days: 3650}\n"
        "catalog:\n" + "\n".join("  " + line for line in EVIL_CATALOG.splitlines()) + "\n"
    )
    diff = cli("config", "diff", str(new))
    assert diff.code == 0, diff.err
    assert "approvals.owner_may_approve: false -> true" in diff.out
    assert "retention.impact_days: 2555.0 -> 3650.0" in diff.out
    assert "catalog.delete_mailbox_items: tier 4 -> tier 0" in diff.out

    published = cli("config", "publish", str(new), "--json")
    assert published.code == 0, published.err
    digest = json.loads(published.out)["config_hash"]
    assert cli("config", "show", "--hash").out.strip() == digest
    assert cli("config", "show").out.startswith(f"# configuration {digest} (published)")
    assert cli("config", "diff", str(new)).out.strip() == "no change"
    again = cli("config", "publish", str(new))
    assert again.code == 4 and "already in force" in again.err
    [row] = json.loads(cli("config", "history", "--json").out)
    assert row["config_hash"] == digest and row["published_by"].startswith("local:")
    assert cli("ledger", "verify").code == 0


def test_a_bad_file_is_one_line_and_changes_nothing(cli: Invoke, tmp_path: Path) -> None:
    before = cli("config", "show", "--hash").out
    bad = tmp_path / "bad.yaml"
    bad.write_text("tokens: {ttl_days: 'sk-live-0123456789abcdef'}\n")
    run = cli("config", "publish", str(bad))
    assert run.code == 2
    assert run.err.count("\n") == 1 and "tokens.ttl_days must be" in run.err
    assert "sk-live" not in run.err  # the rejected value is not echoed
    assert cli("config", "publish", str(tmp_path / "missing.yaml")).code == 2
    assert cli("config", "diff", str(bad)).code == 2
    assert cli("config", "show", "--hash").out == before


# -- the attacks, as the issue ran them ------------------------------------------


@pytest.fixture
def people(cli: Invoke) -> dict[str, str]:
    return {
        "mallory": _token(cli, "mallory", "--human", "--roles", "analyst"),
        "alice": _token(cli, "alice", "--human", "--roles", "approver:ir_lead"),
        "triage": _token(
            cli, "triage", "--agent", "--owner", "alice", "--scopes", "block_ip,add_case_note"
        ),
    }


def test_attack_env_catalog_cannot_let_an_analyst_delete_a_mailbox(
    cli: Invoke, people: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evil = tmp_path / "evil.yaml"
    evil.write_text(EVIL_CATALOG)
    monkeypatch.setenv("AFFIDAVIT_CATALOG", str(evil))
    run = cli(
        "propose",
        "--case",
        "C-1",
        "--action",
        "delete_mailbox_items",
        "--target",
        "mailbox:ceo@corp.example",
        "--params",
        '{"message_ids": ["<1@corp.example>"]}',
        "--token",
        people["mallory"],
    )
    assert run.code == 0, run.err
    result = json.loads(run.out)
    assert result["decision"]["effect"] != "allow"
    assert result["status"] == "pending_approval"


def test_attack_env_owner_may_approve_cannot_let_an_owner_approve(
    cli: Invoke, people: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFIDAVIT_OWNER_MAY_APPROVE", "true")
    run = cli(
        "propose",
        "--case",
        "C-2",
        "--action",
        "block_ip",
        "--target",
        "ip:203.0.113.5",
        "--confidence",
        "0.95",
        "--token",
        people["triage"],
    )
    assert run.code == 0, run.err
    pid = json.loads(run.out)["proposal_id"]
    assert cli("proposal", "show", pid, "--token", people["alice"]).code == 0
    own = cli("approve", pid, "--rationale", "my agent", "--token", people["alice"])
    assert own.code == 6 and "accountable owner of agent triage" in own.err


def test_attack_payload_sweep_cannot_erase_what_configuration_keeps(
    cli: Invoke, clock: Clock
) -> None:
    assert cli("demo", "--no-serve", "--alerts", "6").code == 0
    clock.advance(days=1)
    for flags in (
        ("--full-days", "0.00001", "--short-days", "0.00001"),
        ("--full-days", "0.00001"),
        ("--short-days", "1"),
    ):
        run = cli("payload", "sweep", *flags)
        assert run.code == 2, (flags, run.out)
    verified = json.loads(cli("ledger", "verify", "--json").out)
    assert verified["ok"] and verified["erased_payloads"] == 0
    kept = cli("payload", "sweep", "--full-days", "3650", "--json")
    assert kept.code == 0, kept.err
    assert [r["payloads"] for r in json.loads(kept.out)[:2]] == [0, 0]
