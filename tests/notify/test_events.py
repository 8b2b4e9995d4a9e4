"""Only allow-listed fields leave the ledger: whatever params or rationale say, no message has it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from affidavit.errors import InputError
from affidavit.ledger.entry import Entry, StoredEntry
from affidavit.notify import Event, build_notice, pending_event
from affidavit.notify.formats import slack_payload, teams_payload, webhook_body

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
CONSOLE = "https://console.example.org"


def _entry(free: str, *, effect: str = "require_approval", **changes: Any) -> StoredEntry:
    """A proposal.created entry as the Governor writes it, with ``free`` in every free-text spot."""
    proposal = {
        "id": "prop_0123456789abcdef0123",
        "step": None,
        "proposer": "triage",
        "action": "disable_account",
        "target": f"user:{free}",
        "params": {"comment": free, "nested": {"deeper": [free]}},
        "action_hash": "0" * 64,
        "confidence": 0.9,
        "rationale": free,
        "evidence": [free],
        "expires_at": "2026-11-28T10:00:00.000000Z",
    }
    proposal.update(changes)
    body = {
        "proposal": proposal,
        "decision": {
            "effect": effect,
            "approvals_required": 1,
            "approver_roles": ["approver:ir_lead"],
            "require_evidence_view": True,
            "expires_after_s": 3600,
            "bundle_hash": "1" * 64,
            "determining_policies": ["tier-3-user-impact"],
            "reasons": [free],
        },
        "decision_inputs": {
            "principal": {"id": "triage", "kind": "agent", "owner": free},
            "action": "disable_account",
            "targets": [
                {
                    "id": free,
                    "kind": "user",
                    "criticality": "high",
                    "environment": "prod",
                    "owner": free,
                    "tags": [free],
                    "known": True,
                }
            ],
            "params": {"comment": free},
            "confidence": 0.9,
            "context": {"tier": 3, "action_id": "disable_account"},
        },
    }
    data = Entry(type="proposal.created", actor="agent:triage", case="CASE-1", body=body).encode()
    return StoredEntry(7, b"", data, "proposal.created", "CASE-1", "agent:triage", "x")


def _everything_sent(event: Event) -> list[str]:
    notices = [build_notice([event], CONSOLE, NOW), build_notice([event, event], CONSOLE, NOW)]
    out = []
    for n in notices:
        out += [n.text(), json.dumps(slack_payload(n)), json.dumps(teams_payload(n))]
        out.append(webhook_body(n).decode())
    return out


def test_the_event_holds_the_allow_listed_facts() -> None:
    event = pending_event(_entry("hunter2"))
    assert event is not None
    assert event.to_json() == {
        "kind": "approval_pending",
        "seq": 7,
        "proposal": "prop_0123456789abcdef0123",
        "case": "CASE-1",
        "action": "disable_account",
        "tier": 3,
        "target_kind": "user",
        "criticality": "high",
        "agent": "triage",
        "approvals_required": 1,
        "roles": ["approver:ir_lead"],
        "deadline": "2026-11-28T10:00:00.000000Z",
    }
    assert Event.from_json(event.to_json()) == event


@settings(max_examples=60, deadline=None)
@given(
    free=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=12, max_size=80
    ).filter(lambda s: s.strip() == s and len(set(s)) > 6)
)
def test_no_free_text_reaches_any_channel(free: str) -> None:
    event = pending_event(_entry(free))
    assert event is not None
    for sent in _everything_sent(event):
        assert free not in sent
        assert json.dumps(free)[1:-1] not in sent  # not even JSON-escaped


@pytest.mark.parametrize("effect", ["allow", "deny"])
def test_only_requests_needing_approval_are_events(effect: str) -> None:
    assert pending_event(_entry("x", effect=effect)) is None


@pytest.mark.parametrize(
    ("changes", "what"),
    [
        ({"proposer": "triage\nBcc: someone"}, "agent"),
        ({"id": "prop <script>"}, "proposal"),
        ({"action": "Disable Account!"}, "action"),
        ({"expires_at": "tomorrow"}, "deadline"),
    ],
)
def test_a_field_that_is_not_a_plain_identifier_is_refused(
    changes: dict[str, str], what: str
) -> None:
    with pytest.raises(InputError, match=f"ledger entry 7 .*{what}"):
        pending_event(_entry("x", **changes))


def test_an_entry_missing_fields_is_refused_without_quoting_it() -> None:
    data = Entry(
        type="proposal.created",
        actor="agent:triage",
        body={"decision": {"effect": "require_approval"}, "proposal": {"rationale": "s3cr3t"}},
    ).encode()
    entry = StoredEntry(3, b"", data, "proposal.created", None, "agent:triage", "x")
    with pytest.raises(InputError, match="lacks a field a notification needs") as caught:
        pending_event(entry)
    assert "s3cr3t" not in caught.value.message
