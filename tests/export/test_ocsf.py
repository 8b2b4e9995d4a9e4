"""Ledger entries as OCSF 1.3 API Activity (6003) events."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from affidavit.export import DECISION_TYPES, Redactor, to_ocsf
from affidavit.ledger.entry import Entry, StoredEntry
from affidavit.ledger.log import Ledger
from affidavit.protect import DataClass
from tests.export.conftest import PLANTED, Activity

ORIGIN = "affidavit.test/log"
REQUIRED = (
    "category_uid",
    "class_uid",
    "activity_id",
    "type_uid",
    "severity_id",
    "time",
    "metadata",
    "actor",
    "api",
    "src_endpoint",
    "status_id",
)


def _check_shape(event: dict[str, Any], entry: StoredEntry) -> None:
    for name in REQUIRED:
        assert name in event, name
    assert (event["category_uid"], event["class_uid"]) == (6, 6003)
    assert event["activity_id"] in (1, 2, 3, 4, 99)
    assert event["type_uid"] == 600300 + event["activity_id"]
    assert event["severity_id"] in (1, 2, 3, 4, 5)
    assert event["status_id"] in (0, 1, 2, 99)
    assert isinstance(event["time"], int)
    meta = event["metadata"]
    assert meta["version"] == "1.3.0"
    assert meta["product"]["name"] == "Affidavit"
    assert meta["uid"] == f"{ORIGIN}/{entry.seq}"
    assert meta["sequence"] == entry.seq
    assert meta["event_code"] == entry.type
    assert event["api"]["operation"]
    assert event["actor"]["user"]["uid"] == entry.actor
    json.dumps(event)  # plain JSON


def _by_type(ledger: Ledger) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in ledger.entries():
        event = to_ocsf(entry, ORIGIN, hostname="soc-1")
        _check_shape(event, entry)
        found.setdefault(entry.type, []).append(event)
    return found


def test_every_entry_is_a_well_formed_api_activity(activity: Activity, ledger: Ledger) -> None:
    found = _by_type(ledger)
    assert set(DECISION_TYPES) <= set(found)


def test_decisions_carry_their_effect_and_policy(activity: Activity, ledger: Ledger) -> None:
    proposals = _by_type(ledger)["proposal.created"]
    effects = {e["actor"]["authorizations"][0]["decision"]: e for e in proposals}
    allow, pending, deny = effects["allow"], effects["require_approval"], effects["deny"]
    assert (allow["status_id"], allow["status"]) == (1, "Success")
    assert (pending["status_id"], pending["status"]) == (99, "Pending approval")
    assert pending["status_detail"].startswith("needs 2 approval(s)")
    assert (deny["status_id"], deny["status"]) == (2, "Failure")
    assert "agent-never-tier-4" in deny["status_detail"]
    assert deny["severity_id"] >= 2
    assert allow["activity_id"] == 1 and allow["type_name"] == "API Activity: Create"
    assert allow["api"]["operation"] == "propose/enrich_ip_reputation"
    assert allow["resources"] == [{"uid": "ip:203.0.113.7", "type": "ip", "name": "203.0.113.7"}]
    policy = allow["actor"]["authorizations"][0]["policy"]
    assert len(policy["uid"]) == 64 and policy["name"] == "tier-0-enrichment"
    assert allow["actor"]["user"] == {
        "uid": "agent:triage",
        "name": "triage",
        "type": "Agent",
        "type_id": 99,
    }
    assert allow["metadata"]["correlation_uid"] == "CASE-1"


def test_approvals_and_executions(activity: Activity, ledger: Ledger) -> None:
    found = _by_type(ledger)
    granted = found["approval.granted"][0]
    assert (granted["activity_id"], granted["api"]["operation"]) == (3, "approve")
    assert granted["actor"]["user"]["type"] == "User"
    assert found["breakglass.invoked"][0]["severity_id"] == 4
    finished = {e["status_id"]: e for e in found["execution.finished"]}
    assert finished[1]["api"]["response"]["message"] == "succeeded"
    failed = finished[2]
    assert failed["status"] == "Failure" and failed["severity_id"] == 3
    assert failed["api"]["response"]["error"] == "http_status"
    assert "firewall said" in failed["status_detail"]
    started = found["execution.started"][0]
    assert started["status"] == "Started" and started["api"]["operation"].startswith("execute/")


def test_time_is_unix_milliseconds_of_the_ledger_time() -> None:
    entry = _stored(3, "approval.granted", {"proposal": "prop_1"}, None)
    event = to_ocsf(entry, ORIGIN)
    assert event["metadata"]["original_time"] == "2026-12-07T10:00:00.000001Z"
    assert event["time"] == 1796637600000


def test_masking_removes_every_planted_secret(activity: Activity, ledger: Ledger) -> None:
    redactor = Redactor({DataClass.SECRET, DataClass.CREDENTIAL})
    raw = [json.dumps(to_ocsf(e, ORIGIN)) for e in ledger.entries()]
    assert any(p in text for p in PLANTED for text in raw), "the scenario planted nothing?"
    for entry in ledger.entries():
        text = json.dumps(redactor.json(to_ocsf(entry, ORIGIN)))
        for planted in PLANTED:
            assert planted not in text
    assert redactor.masked >= 2
    masked = json.dumps([redactor.json(to_ocsf(e, ORIGIN)) for e in ledger.entries()])
    assert "[CREDENTIAL:password_assignment]" in masked or "[CREDENTIAL:" in masked
    assert "[SECRET:github_token]" in masked


def test_masking_keeps_digests_ids_and_structure() -> None:
    redactor = Redactor({DataClass.SECRET, DataClass.CREDENTIAL})
    digest = hashlib.sha256(b"x").hexdigest()
    value = {
        "hash": digest,
        "ids": ["prop_4a0be6f53f59ed22991f", "host:pc-1"],
        "n": 3,
        "ok": True,
        "none": None,
        "key AKIAIOSFODNN7EXAMPLE": "v",
    }
    out = redactor.json(value)
    assert out["hash"] == digest and out["ids"] == value["ids"] and out["n"] == 3
    assert "key [SECRET:aws_access_key_id]" in out
    assert Redactor(set()).json(value) == value


def _stored(seq: int, type_: str, body: dict[str, Any], case: str | None) -> StoredEntry:
    entry = Entry(
        type=type_, actor="agent:x", body=body, case=case, time="2026-12-07T10:00:00.000001Z"
    )
    data = entry.encode()
    return StoredEntry(
        seq, hashlib.sha256(b"\x00" + data).digest(), data, type_, case, "agent:x", entry.time
    )


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(
    type_=st.sampled_from([*DECISION_TYPES, "step.recorded", "identity.created", "made.up_type"]),
    body=st.dictionaries(
        st.sampled_from(
            ["proposal", "decision", "detail", "status", "execution", "decision_inputs", "x"]
        ),
        _json,
        max_size=6,
    ),
    case=st.none() | st.just("CASE-9"),
)
def test_any_body_of_any_type_maps_without_failing(
    type_: str, body: dict[str, Any], case: str | None
) -> None:
    entry = _stored(7, type_, body, case)
    event = to_ocsf(entry, ORIGIN)
    _check_shape(event, entry)
