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
