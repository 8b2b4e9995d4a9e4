"""Verification of meaning (issue 9, item 3): a state row the ledger does not say fails,
naming the table and the row; an honest database passes."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from tests.governance.conftest import Cast

from affidavit.errors import VerificationError
from affidavit.governance.governor import Governor
from affidavit.governance.meaning import check_state
from affidavit.policy import Asset


def _work(gov: Governor, cast: Cast) -> str:
    gov.import_inventory(
        [Asset(id="pc-1", kind="host", criticality="medium", environment="prod")], source="test"
    )
    gov.publish_policy(gov.active_policy()[1] + "\n// v2\n")
    gov.propose(cast.triage, case="C-1", action="enrich_ip_reputation", target="ip:203.0.113.7")
    pending = gov.propose(
        cast.triage,
        case="C-1",
        action="isolate_host",
        target="host:pc-1",
        rationale="c2",
        evidence=["alert:edr-1"],
    )
    gov.open_evidence(cast.alice, pending.id, 0)
    gov.approve(cast.alice, pending.id, rationale="seen it")
    waiting = gov.propose(cast.triage, case="C-1", action="wipe_host", target="host:pc-2")
    return waiting.id


def _tamper(gov: Governor, statement: str, **params: object) -> None:
    with gov.ledger.db.write() as conn:
        conn.execute(text(statement), params)


def test_an_honest_database_is_its_projection(gov: Governor, cast: Cast) -> None:
    _work(gov, cast)
    report = check_state(gov.ledger.db)
    assert report.entries == gov.ledger.verify().size
    assert report.rows > 10


def test_a_phantom_approval_meeting_a_quorum_fails(gov: Governor, cast: Cast) -> None:
    pid = _work(gov, cast)
    _tamper(
        gov,
        "INSERT INTO approvals (proposal_id, approver_id, verdict, rationale, seq) "
        "VALUES (:p, 'carol', 'approve', 'ok', 9999)",
        p=pid,
    )
    gov.ledger.verify()  # the ledger itself is intact
    with pytest.raises(VerificationError, match=r"table approvals: row .* is not in the ledger"):
        check_state(gov.ledger.db)


def test_a_bundle_never_published_fails(gov: Governor, cast: Cast) -> None:
    _work(gov, cast)
    _tamper(
        gov,
        "INSERT INTO policy_bundles (hash, text, published_seq, published_by) "
        "VALUES (:h, 'permit (principal, action, resource);', 99999, 'system:admin')",
        h="f" * 64,
    )
    with pytest.raises(VerificationError, match="table policy_bundles"):
        check_state(gov.ledger.db)


@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ("UPDATE proposals SET status = 'authorized' WHERE action = 'wipe_host'", "proposals"),
        (
            "UPDATE identities SET roles = '[\"approver:soc_manager\"]' WHERE id = 'dave'",
            "identities",
        ),
        ("DELETE FROM executions", "executions"),
        ("UPDATE assets SET criticality = 'low'", "assets"),
    ],
)
def test_an_edited_row_is_named(gov: Governor, cast: Cast, statement: str, table: str) -> None:
    _work(gov, cast)
    _tamper(gov, statement)
    with pytest.raises(VerificationError, match=f"table {table}: row"):
        check_state(gov.ledger.db)


def test_an_edited_bundle_text_fails_without_any_key(gov: Governor, cast: Cast) -> None:
    _work(gov, cast)
    _tamper(gov, "UPDATE policy_bundles SET text = text || ' '")
    with pytest.raises(VerificationError, match="policy bundle"):
        check_state(gov.ledger.db)


def _forge_authorization(gov: Governor, pid: str, via: str, **changes: str) -> None:
    """Append an ``authorization.issued`` the way only a holder of the log key (or a bug)
    could: signed and well formed, but not made by a command, so nothing checked it.
    ``changes`` replace the proposal's action or bundle hash (needed for a proposal the
    tables do not hold)."""
    from affidavit.governance._common import iso, later
    from affidavit.governance.events import AuthorizationIssued
    from affidavit.ledger.entry import Entry

    if {"action_hash", "bundle_hash"} <= set(changes):
        decided = changes
    else:
        proposal = gov.proposal(pid)
        decided = {
            "action_hash": proposal.action_hash,
            "bundle_hash": proposal.bundle_hash,
            **changes,
        }
    now = gov.clock()
    event = AuthorizationIssued(
        actor="system:governor",
        case="C-1",
        proposal=pid,
        authorization=f"auth_forged_{pid}",
        via=via,
        expires_at=later(now, 600),
        **decided,
    )
    gov.ledger.append(Entry(event.type, event.actor, event.body(), case="C-1", time=iso(now)))


@pytest.mark.parametrize(
    ("via", "changes", "message"),
    [
        ("approvals", {}, r"its grounds \(approvals\) are not in the ledger"),
        ("breakglass", {}, r"its grounds \(breakglass\) are not in the ledger"),
        ("policy", {}, r"its grounds \(policy\) are not in the ledger"),
        ("approvals", {"action_hash": "0" * 64}, "the action or bundle differs"),
        ("sideways", {}, "unknown grounds"),
    ],
)
def test_an_authorization_without_grounds_in_the_ledger_fails(
    gov: Governor, cast: Cast, via: str, changes: dict[str, str], message: str
) -> None:
    # regression: verify compared tables with the projection, but the projection accepted
    # any authorization.issued, so a signed entry with no approvals behind it passed
    pid = _work(gov, cast)  # a wipe_host proposal pending approval
    _forge_authorization(gov, pid, via, **changes)
    gov.ledger.verify()  # signatures and hashes are intact
    with pytest.raises(VerificationError, match=message):
        check_state(gov.ledger.db)


def test_a_command_cannot_emit_an_authorization_without_grounds(gov: Governor, cast: Cast) -> None:
    from affidavit.errors import Conflict
    from affidavit.governance._common import later
    from affidavit.governance.events import AuthorizationIssued

    pid = _work(gov, cast)
    proposal = gov.proposal(pid)
    size = gov.ledger.size()

    def command(batch: object) -> None:
        batch.emit(  # type: ignore[attr-defined]
            AuthorizationIssued(
                actor="system:governor",
                case=proposal.case_id,
                proposal=pid,
                authorization="auth_bug",
                action_hash=proposal.action_hash,
                bundle_hash=proposal.bundle_hash,
                via="approvals",
                expires_at=later(gov.clock(), 600),
            )
        )

    with pytest.raises(Conflict, match="not in the ledger"):
        gov._write(command, now=gov.clock())
    assert gov.ledger.size() == size
    check_state(gov.ledger.db)


def test_an_authorization_under_a_bundle_never_published_fails(gov: Governor, cast: Cast) -> None:
    from affidavit.governance._common import iso
    from affidavit.ledger.entry import Entry

    _work(gov, cast)
    stored = next(e for e in gov.ledger.entries() if e.type == "proposal.created")
    doc = stored.json()
    body = doc["body"]
    body["proposal"]["id"] = "prop_forged"
    body["decision"]["bundle_hash"] = "f" * 64  # a decision under a bundle nobody published
    body["decision"]["effect"] = "allow"
    now = iso(gov.clock())
    gov.ledger.append(Entry(stored.type, doc["actor"], body, case=doc["case"], time=now))
    decided = {"action_hash": body["proposal"]["action_hash"], "bundle_hash": "f" * 64}
    _forge_authorization(gov, "prop_forged", "policy", **decided)
    with pytest.raises(VerificationError, match=r"bundle ffffffffffff was never published"):
        check_state(gov.ledger.db)
