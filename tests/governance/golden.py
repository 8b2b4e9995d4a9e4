"""The golden ledger: a scripted run of the demo plus every other entry type, reproducible
to the byte under a fixed clock, sequential ids and a fixed vault key.

``tests/data/golden/ledger.jsonl`` holds the entries' exact bytes, one per line.
``test_golden.py`` replays the script and requires the same bytes: refactoring the
governance code must not change what it writes. A deliberate change of an entry's
format regenerates the file and says why in the commit (and in CHANGELOG.md, with a
migration note when stored ledgers are affected)::

    .venv/bin/python -m tests.governance.golden --write

The script pins its clock to a fixed instant (not the shifted test epoch): entry
times are part of the bytes. Nothing in it reads the wall clock, so it stays the
same whatever the date.
"""

from __future__ import annotations

import argparse
import base64
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import TEST_DATA, Clock

from affidavit.config import Settings, load_settings
from affidavit.connectors import ActionResult, InMemoryConnector
from affidavit.demo import run_demo
from affidavit.governance._common import SequentialIds
from affidavit.governance.friction import FrictionRules, StampRules
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from affidavit.ledger.log import Ledger

GOLDEN = TEST_DATA / "golden" / "ledger.jsonl"
GOLDEN_START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
VAULT_KEY = bytes(range(32))
"""A fixed key-encryption key: alert summaries tokenise personal data under a key derived
from it, so their bytes depend on it."""
LOCAL_OPERATOR = "local:golden@affidavit.test"
CONNECTORS = ("intel", "idp", "edr", "case", "ticketing", "webhook", "firewall", "email")


def golden_settings(home: Path, database_url: str) -> Settings:
    """Settings for ``home`` with the fixed vault key written into it."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = home / "vault.key"
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("affidavit-vault-kek-v1:" + base64.b64encode(VAULT_KEY).decode() + "\n")
    return load_settings(
        {
            "AFFIDAVIT_HOME": str(home),
            "AFFIDAVIT_DATABASE_URL": database_url,
            "AFFIDAVIT_CHECKPOINT_INTERVAL": "0",
        }
    )


def golden_governor(settings: Settings, clock: Clock) -> Governor:
    connectors = {name: InMemoryConnector(name) for name in CONNECTORS}
    connectors["idp"].set_outcome(
        "revoke_sessions", ActionResult("failed", {"error": "identity provider unreachable"})
    )
    gov = Governor(
        Ledger.open(settings, clock=clock),
        settings,
        connectors=connectors,
        clock=clock,
        ids=SequentialIds(),
        # A rubber-stamp signal after two quick approvals, so the script can show one.
        friction=FrictionRules(stamp=StampRules(min_decisions=2)),
    )
    gov.local_operator = LOCAL_OPERATOR  # the OS user and host would differ per machine
    return gov


def run_script(gov: Governor, clock: Clock) -> None:
    """The demo, then what the demo does not do, so every entry type is written."""
    root = run_demo(gov, 8).tokens["admin"]
    clock.advance(minutes=5)
    tok = {name: gov.rotate_token(name)[0] for name in ("alice", "bob", "carol", "triage")}
    _, dpo = gov.add_identity(Identity(id="dpo", kind="human", roles=("detokenize",)))
    _, scribe = gov.add_identity(
        Identity(id="scribe", kind="agent", owner="olivia", data_classes=("internal_identifier",))
    )
    gov.add_identity(Identity(id="eve", kind="human", roles=("analyst",)))
    gov.set_identity_status("eve", "suspended")
    gov.set_identity_status("eve", "active")
    gov.set_identity_status("eve", "retired")
    gov.publish_policy(gov.active_policy()[1] + "\n// golden v2\n")

    case = "GOLDEN-1"
    step = gov.record_step(
        scribe,
        case=case,
        model="soc-llm",
        model_version="2026-10",
        prompt=b"who is maria.gonzalez@example.org?",
        output=b"a customer",
    )
    denied = gov.propose(tok["triage"], case=case, action="block_ip", target="ip:198.51.100.9")
    gov.view_evidence(tok["alice"], denied.id)
    assert gov.rubber_stamp(tok["alice"], denied.id) is not None  # her demo approvals: quick
    gov.approve(tok["alice"], denied.id, rationale="internal scanner", deny=True)
    gov.dispose(
        tok["alice"], denied.id, outcome="rejected", reason="false_positive", rationale="scanner"
    )
    failing = gov.propose(
        tok["alice"],
        case=case,
        action="revoke_sessions",
        target="user:bob@corp.example",
        evidence=[f"step:{step.id}"],  # approving tier 2 and above needs an item opened
    )
    gov.view_evidence(tok["bob"], failing.id)
    clock.advance(seconds=42)
    gov.open_evidence(tok["bob"], failing.id, 0)
    clock.advance(seconds=75)
    gov.approve(tok["bob"], failing.id, rationale="sessions look hijacked")
    late = gov.propose(tok["triage"], case=case, action="isolate_host", target="host:pc-golden-1")
    clock.advance(hours=3)  # expires unapproved: no entry, but the state changes
    gov.dispose(
        tok["carol"], late.id, outcome="modified", reason="scope_change", rationale="too late"
    )
    prompt = gov.ledger.payload(step.prompt_sha256).decode()
    token = prompt.split("is ", 1)[1].rstrip("?")
    gov.detokenize(dpo, token, reason="fraud investigation #12", case=case)
    # GOLDEN-1 had revoke_sessions (tier 3) proposed: erasing its evidence takes two admins.
    _, ada = gov.add_identity(Identity(id="ada", kind="human", roles=("admin",)), token=root)
    request = gov.request_erasure([step.output_sha256], reason="request #7")
    gov.approve_erasure(request.id, token=root)
    request = gov.request_erasure(case=case, reason="request #8", token=root)
    gov.approve_erasure(request.id, token=ada)
    # Added with accountable administration: legal holds, owner transfer, an incident.
    held = gov.record_step(
        scribe, case="GOLDEN-3", model="soc-llm", model_version="2026-10", prompt=b"q", output=b"a"
    )
    gov.hold_case("GOLDEN-3", reason="litigation hold #3", token=ada)
    clock.advance(days=31)
    gov.publish_configuration("retention: {impact_days: 365, short_days: 30}\n", token=root)
    gov.sweep_retention(dry_run=False)
    gov.release_case("GOLDEN-3", reason="matter closed", token=ada)
    gov.erase_payloads([held.output_sha256], reason="request #9", token=root)
    gov.transfer_identity("scribe", "carol", token=root)

    # Added with the proposal state machine: withdrawal and explicit supersession.
    case = "GOLDEN-2"
    pending = gov.propose(tok["triage"], case=case, action="block_ip", target="ip:198.51.100.7")
    first = gov.dispose(tok["alice"], pending.id, outcome="accepted", reason="true_positive")
    gov.dispose(
        tok["carol"],
        pending.id,
        outcome="rejected",
        reason="false_positive",
        rationale="the address is our scanner",
        supersedes=first,
    )  # supersedes alice's and withdraws the proposal
    glass = gov.propose(tok["triage"], case=case, action="block_ip", target="ip:198.51.100.8")
    gov.breakglass(tok["bob"], glass.id, justification="exfiltration; nobody answers")
    gov.review_breakglass(tok["carol"], glass.id, upheld=False, rationale="no exfiltration seen")


def entry_lines(gov: Governor) -> list[bytes]:
    return [e.data for e in gov.ledger.entries()]


@contextmanager
def golden_run(home: Path, database_url: str | None = None) -> Iterator[Governor]:
    """The Governor after running the script on a fresh database in ``home``."""
    url = database_url or f"sqlite:///{home / 'affidavit.db'}"
    clock = Clock(GOLDEN_START)
    with golden_governor(golden_settings(home, url), clock) as gov:
        run_script(gov, clock)
        yield gov


def build(home: Path, database_url: str | None = None) -> list[bytes]:
    """Run the script on a fresh database in ``home``; the entries' bytes."""
    with golden_run(home, database_url) as gov:
        return entry_lines(gov)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {GOLDEN}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lines = build(Path(tmp) / "home")
    if args.write:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(b"".join(line + b"\n" for line in lines))
        print(f"wrote {len(lines)} entries to {GOLDEN}")
    else:
        print(f"{len(lines)} entries (use --write to store them)")


if __name__ == "__main__":
    main()
