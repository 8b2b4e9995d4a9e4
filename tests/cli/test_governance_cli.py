"""The governance commands: identities, assets, policy, propose/approve/dispose, replay."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke
from tests.conftest import EPOCH


def _token(cli: Invoke, *args: str) -> str:
    run = cli("identity", "add", *args)
    assert run.code == 0, run.err
    token = run.out.strip().splitlines()[-1]
    assert token.startswith("afd_")
    return token


@pytest.fixture
def people(cli: Invoke, tmp_path: Path) -> dict[str, str]:
    tokens = {
        "alice": _token(cli, "alice", "--human", "--roles", "analyst,approver:ir_lead"),
        "bob": _token(cli, "bob", "--human", "--roles", "approver:ir_lead,breakglass"),
        "carol": _token(cli, "carol", "--human", "--roles", "approver:ir_lead"),
    }
    tokens["triage"] = _token(
        cli,
        "triage",
        "--agent",
        "--owner",
        "alice",
        "--scopes",
        "isolate_host,block_ip,enrich_ip_reputation",
    )
    assets = tmp_path / "assets.yaml"
    assets.write_text(
        "assets:\n  - {id: pc-sales-0215, kind: host, criticality: medium, environment: prod, owner: sales}\n"
    )
    assert cli("assets", "import", str(assets)).code == 0
    return tokens


def test_propose_approve_dispose_replay(cli: Invoke, people: dict[str, str]) -> None:
    run = cli(
        "propose",
        "--case",
        "CASE-9",
        "--action",
        "isolate_host",
        "--target",
        "host:pc-sales-0215",
        "--confidence",
        "0.9",
        "--rationale",
        "beaconing",
        "--evidence",
        "alert:cli-1",
        "--token",
        people["triage"],
    )
    assert run.code == 0, run.err
    result = json.loads(run.out)
    assert result["decision"] == {
        "effect": "require_approval",
        "approvals_required": 1,
        "approver_roles": [],
    }
    assert result["status"] == "pending_approval"
    pid = result["proposal_id"]

    owner = cli("approve", pid, "--rationale", "my agent", "--token", people["alice"])
    assert owner.code == 6 and "accountable owner of agent triage" in owner.err
    agent = cli("approve", pid, "--rationale", "self", "--token", people["triage"])
    assert agent.code == 5 and "only people" in agent.err
    assert cli("approve", pid, "--rationale", "ok").code == 5  # no token at all
    unread = cli("approve", pid, "--rationale", "C2 confirmed", "--token", people["bob"])
    assert unread.code == 6 and "open at least one evidence item" in unread.err
    opened = cli("proposal", "evidence", pid, "0", "--token", people["bob"])
    assert opened.code == 0 and opened.out.strip() == "alert:cli-1", opened.err
    approved = cli(
        "approve", pid, "--rationale", "C2 confirmed", "--token", people["bob"], "--json"
    )
    assert approved.code == 0, approved.err
    assert json.loads(approved.out)["status"] == "executed"

    shown = json.loads(cli("proposal", "show", pid).out)
    assert shown["approvals"] == [
        {"approver": "bob", "verdict": "approve", "rationale": "C2 confirmed"}
    ]
    assert shown["executions"][0]["status"] == "succeeded"

    assert (
        cli(
            "dispose",
            pid,
            "--outcome",
            "rejected",
            "--reason",
            "policy",
            "--token",
            people["carol"],
        ).code
        == 2
    )
    ok = cli(
        "dispose",
        pid,
        "--outcome",
        "accepted",
        "--reason",
        "true_positive",
        "--token",
        people["carol"],
    )
    assert ok.code == 0, ok.err

    listed = json.loads(cli("proposal", "list", "--case", "CASE-9", "--json").out)
    assert [p["id"] for p in listed] == [pid]
    assert json.loads(cli("case", "list", "--json").out)[0]["id"] == "CASE-9"
    replay = json.loads(cli("case", "replay", "CASE-9", "--json").out)
    assert replay["state"][pid]["status"] == "executed"
    assert [e["type"] for e in replay["timeline"]][:2] == ["case.opened", "proposal.created"]
    assert cli("case", "replay", "NO-SUCH-CASE").code == 3
    assert cli("ledger", "verify").code == 0


def test_breakglass_and_reviews(cli: Invoke, people: dict[str, str]) -> None:
    pid = json.loads(
        cli(
            "propose",
            "--case",
            "C",
            "--action",
            "block_ip",
            "--target",
            "ip:203.0.113.5",
            "--confidence",
            "0.95",
            "--token",
            people["triage"],
        ).out
    )["proposal_id"]
    assert cli("breakglass", pid, "--justification", "now", "--token", people["alice"]).code == 6
    run = cli(
        "breakglass", pid, "--justification", "exfiltration in progress", "--token", people["bob"]
    )
    assert run.code == 0, run.err
    pending = json.loads(cli("reviews", "--json").out)
    assert pending[0]["proposal"] == pid and pending[0]["outcome"] is None
    assert cli("review", pid, "--rationale", "fine", "--token", people["bob"]).code == 6
    assert cli("review", pid, "--rationale", "justified", "--token", people["carol"]).code == 0
    assert json.loads(cli("reviews", "--json").out)[0]["outcome"] == "upheld"


def test_identity_lifecycle_commands(cli: Invoke, people: dict[str, str]) -> None:
    listed = json.loads(cli("identity", "list", "--json").out)
    assert {i["id"] for i in listed} == {"alice", "bob", "carol", "triage"}
    assert all("token" not in json.dumps(i) for i in listed)
    assert cli("identity", "suspend", "bob").code == 0
    assert (
        cli(
            "propose",
            "--case",
            "C",
            "--action",
            "block_ip",
            "--target",
            "ip:203.0.113.5",
            "--token",
            people["bob"],
        ).code
        == 5
    )
    assert cli("identity", "reactivate", "bob").code == 0
    rotated = cli("identity", "rotate", "bob")
    new = rotated.out.strip().splitlines()[-1]
    assert (
        cli(
            "propose",
            "--case",
            "C",
            "--action",
            "enrich_ip_reputation",
            "--target",
            "ip:203.0.113.5",
            "--token",
            people["bob"],
        ).code
        == 5
    )
    assert (
        cli(
            "propose",
            "--case",
            "C",
            "--action",
            "enrich_ip_reputation",
            "--target",
            "ip:203.0.113.5",
            "--token",
            new,
        ).code
        == 0
    )
    assert cli("identity", "retire", "bob").code == 0
    assert cli("identity", "reactivate", "bob").code == 4
    assert cli("identity", "add", "x", "--agent").code == 2  # no owner
    assert cli("identity", "add", "y", "--human", "--agent").code == 2
    assert cli("identity", "add", "z", "--human", "--roles", "god").code == 2
    assert cli("identity", "add", "Bad Name", "--human").code == 2
    assert cli("identity", "add", "alice", "--human").code == 4  # exists


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--action", "isolate_host", "--target", "host:pc-1", "--params", "{not json"], 2),
        (["--action", "isolate_host", "--target", "host:pc-1", "--params", "[1]"], 2),
        (
            [
                "--action",
                "block_ip",
                "--target",
                "ip:203.0.113.1",
                "--params",
                '{"ttl_seconds": -5}',
            ],
            2,
        ),
        (["--action", "nuke_datacenter", "--target", "host:pc-1"], 2),
        (["--action", "isolate_host", "--target", "pc-1"], 2),
        (["--action", "isolate_host", "--target", "user:alice"], 2),
        (["--action", "isolate_host", "--target", "host:" + "x" * 5000], 2),
        (["--action", "isolate_host", "--target", "host:pc\x00-1"], 2),
        (["--action", "isolate_host", "--target", "host:pc-1", "--confidence", "7"], 2),
        (["--action", "isolate_host", "--target", "host:pc-1", "--rationale", "x" * 5000], 2),
    ],
)
def test_bad_proposals_are_refused_and_nothing_is_written(
    cli: Invoke, people: dict[str, str], args: list[str], code: int
) -> None:
    before = json.loads(cli("ledger", "verify", "--json").out)["size"]
    run = cli("propose", "--case", "C", *args, "--token", people["alice"])
    assert run.code == code, run.err
    assert run.err.startswith("error: ")
    after = json.loads(cli("ledger", "verify", "--json").out)["size"]
    assert after == before


def test_policy_commands(cli: Invoke, people: dict[str, str], tmp_path: Path) -> None:
    shown = json.loads(cli("policy", "show", "--json").out)
    assert len(shown["bundle_hash"]) == 64
    typo = tmp_path / "typo.cedar"
    typo.write_text(
        '@id("t")\n@approvals("0")\npermit (principal, action, resource) when { resource.critcality == "low" };\n'
    )
    bad = cli("policy", "publish", str(typo))
    assert bad.code in (2, 6) and bad.err.startswith("error: ")
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- name: enrichment is free\n"
        "  principal: {id: a1, kind: agent, owner: alice, scopes: [enrich_ip_reputation]}\n"
        "  action: enrich_ip_reputation\n"
        "  target: ip:203.0.113.1\n"
        "  expect: {effect: allow}\n"
        "- name: wrong on purpose\n"
        "  principal: {id: a1, kind: agent, owner: alice, scopes: [wipe_host]}\n"
        "  action: wipe_host\n"
        "  target: host:pc-1\n"
        "  expect: {effect: allow}\n"
    )
    tested = cli("policy", "test", str(cases))
    assert tested.code == 6
    assert "1 passed, 1 failed" in tested.out
    good = tmp_path / "good.cedar"
    good.write_text(shown["text"] + "\n// v2\n")
    published = cli("policy", "publish", str(good), "--json")
    assert published.code == 0, published.err
    assert (
        json.loads(cli("policy", "show", "--json").out)["bundle_hash"]
        == json.loads(published.out)["bundle_hash"]
    )
    assert cli("policy", "publish", str(good)).code == 4  # already active
    assert cli("policy", "publish", str(tmp_path / "missing.cedar")).code == 2


def test_identity_expiry_must_be_a_utc_time(cli: Invoke) -> None:
    # regression: a free-text expiry sorted after every real time and never expired
    bad = cli("identity", "add", "eve", "--human", "--expires", "next year")
    assert bad.code == 2
    assert "not a UTC time" in bad.err
    # relative to the test clock, so the suite stays green with the clock shifted years ahead
    later = (EPOCH + timedelta(days=64)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert cli("identity", "add", "eve", "--human", "--expires", later).code == 0
