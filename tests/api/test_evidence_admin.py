"""Evidence administration over the API: legal holds, erasure (one admin, or two for
serious cases), ownership transfers, incidents and the governance configuration.
Every act is ledgered as the calling admin; refusals write nothing."""

from __future__ import annotations

from typing import Any

import pytest

from affidavit.governance.identities import Identity
from tests.api.conftest import Live, case_with_payloads
from tests.conftest import configuration_text


def _last(live: Live) -> tuple[str, str]:
    entry = list(live.gov.ledger.entries())[-1]
    return entry.type, entry.actor


def _serious_case(live: Live, case: str) -> str:
    """A case where an action of tier 3 (disable_account) was proposed."""
    case_with_payloads(live, case)
    live.gov.propose(
        live.tokens["analyst"], case=case, action="disable_account", target="user:jdoe"
    )
    return case


def _refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


def test_a_hold_blocks_erasure_until_released(live: Live) -> None:
    case = case_with_payloads(live, "C-hold")
    with live.client("admin") as admin, live.client("auditor") as auditor:
        held = admin.post(f"/v1/cases/{case}/hold", json={"reason": "litigation 7"})
        assert held.status_code == 201, held.text
        assert held.json()["case"] == case
        assert held.json()["held_by"] == "human:root"
        assert _last(live) == ("case.held", "human:root")
        _refused(admin.post(f"/v1/cases/{case}/hold", json={"reason": "again"}), 409, "conflict")

        listed = auditor.get("/v1/holds")
        assert listed.status_code == 200, listed.text
        assert [h["case"] for h in listed.json()["items"]] == [case]

        before = live.size()
        erase = {"case": case, "reason": "subject access request 12"}
        _refused(admin.post("/v1/erasures", json=erase), 409, "conflict")
        assert live.size() == before, "a refused erasure wrote to the ledger"

        released = admin.post(f"/v1/cases/{case}/release", json={"reason": "case settled"})
        assert released.status_code == 200, released.text
        assert _last(live) == ("case.released", "human:root")
        _refused(admin.post(f"/v1/cases/{case}/release", json={"reason": "again"}), 409, "conflict")
        assert auditor.get("/v1/holds").json()["items"] == []

        erased = admin.post("/v1/erasures", json=erase)
        assert erased.status_code == 200, erased.text
        assert erased.json()["erased"] == 2
        assert _last(live) == ("payload.erased", "human:root")
        _refused(admin.post("/v1/erasures", json=erase), 404, "not_found")
    live.gov.ledger.verify()


def test_a_held_case_blocks_the_approval_of_a_pending_request(live: Live) -> None:
    case = _serious_case(live, "C-held-serious")
    _, token = live.gov.add_identity(Identity(id="ada", kind="human", roles=("admin",)))
    live.tokens["admin2"] = token
    with live.client("admin") as admin, live.client("admin2") as ada:
        asked = admin.post("/v1/erasure-requests", json={"case": case, "reason": "ruling 4"})
        assert asked.status_code == 201, asked.text
        assert admin.post(f"/v1/cases/{case}/hold", json={"reason": "appeal"}).status_code == 201
        before = live.size()
        approve = f"/v1/erasure-requests/{asked.json()['id']}/approve"
        _refused(ada.post(approve), 409, "conflict")
        assert live.size() == before
        assert admin.post(f"/v1/cases/{case}/release", json={"reason": "done"}).status_code == 200
        assert ada.post(approve).status_code == 200
    live.gov.ledger.verify()


def test_a_serious_case_needs_a_second_admin_and_not_the_requester(live: Live) -> None:
    case = _serious_case(live, "C-serious")
    _, token = live.gov.add_identity(Identity(id="ada", kind="human", roles=("admin",)))
    live.tokens["admin2"] = token
    body = {"case": case, "reason": "data subject request 9"}
    with (
        live.client("admin") as admin,
        live.client("admin2") as ada,
        live.client("auditor") as auditor,
    ):
        before = live.size()
        _refused(admin.post("/v1/erasures", json=body), 403, "policy_error")
        assert live.size() == before

        asked = admin.post("/v1/erasure-requests", json=body)
        assert asked.status_code == 201, asked.text
        request = asked.json()
        assert request["requested_by"] == "human:root"
        assert request["cases"] == [case]
        assert _last(live) == ("erasure.requested", "human:root")

        pending = auditor.get("/v1/erasure-requests")
        assert pending.status_code == 200, pending.text
        assert [r["id"] for r in pending.json()["items"]] == [request["id"]]

        approve = f"/v1/erasure-requests/{request['id']}/approve"
        before = live.size()
        _refused(admin.post(approve), 403, "policy_error")  # the requester
        assert live.size() == before
        _refused(auditor.post(approve), 403, "forbidden")

        approved = ada.post(approve)
        assert approved.status_code == 200, approved.text
        assert approved.json()["erased"] == 2
        types = [(e.type, e.actor) for e in list(live.gov.ledger.entries())[-2:]]
        assert types == [("erasure.approved", "human:ada"), ("payload.erased", "human:ada")]
        _refused(ada.post(approve), 409, "conflict")
        assert auditor.get("/v1/erasure-requests").json()["items"] == []
    live.gov.ledger.verify()


def test_transfer_reassigns_the_owner_under_the_admins_name(live: Live) -> None:
    with live.client("admin") as admin:
        moved = admin.post("/v1/identities/triage/owner", json={"owner": "carol"})
        assert moved.status_code == 200, moved.text
        assert moved.json()["owner"] == "carol"
        assert live.gov.identity("triage").owner == "carol"
        assert _last(live) == ("identity.owner_transferred", "human:root")

        before = live.size()
        same = admin.post("/v1/identities/triage/owner", json={"owner": "carol"})
        _refused(same, 409, "conflict")
        person = admin.post("/v1/identities/dave/owner", json={"owner": "carol"})
        _refused(person, 400, "invalid_input")  # people have no owner
        machine = admin.post("/v1/identities/siem/owner", json={"owner": "responder"})
        _refused(machine, 400, "invalid_input")  # an owner is a person
        _refused(
            admin.post("/v1/identities/nobody/owner", json={"owner": "carol"}), 404, "not_found"
        )
        assert live.size() == before
    live.gov.ledger.verify()


def test_incidents_are_listed_for_auditors(live: Live) -> None:
    proposal = live.gov.propose(
        live.tokens["agent"], case="C-inc", action="isolate_host", target="host:pc-sales-0215"
    ).id
    live.gov.breakglass(live.tokens["breakglass"], proposal, justification="spreading")
    live.gov.review_breakglass(
        live.tokens["approver2"], proposal, upheld=False, rationale="no cause"
    )
    with live.client("auditor") as auditor:
        found = auditor.get("/v1/incidents")
        assert found.status_code == 200, found.text
        [incident] = found.json()["items"]
        assert incident["case"] == "C-inc"
        assert incident["proposal"] == proposal
        assert auditor.get("/v1/incidents", params={"case": "C-other"}).json()["items"] == []
        assert len(auditor.get("/v1/incidents", params={"case": "C-inc"}).json()["items"]) == 1
        _refused(auditor.get("/v1/incidents", params={"case": "bad case"}), 400, "invalid_input")


def test_configuration_publish_show_and_history(live: Live) -> None:
    with live.client("admin") as admin, live.client("auditor") as auditor:
        shown = auditor.get("/v1/configuration")
        assert shown.status_code == 200, shown.text
        assert shown.json()["built_in"] is True
        assert auditor.get("/v1/configuration/versions").json()["items"] == []

        text = configuration_text(auto_execute=False)
        published = admin.post("/v1/configuration", json={"text": text})
        assert published.status_code == 201, published.text
        digest = published.json()["config_hash"]
        assert _last(live) == ("configuration.published", "human:root")
        assert live.gov.configuration().hash == digest
        _refused(admin.post("/v1/configuration", json={"text": text}), 409, "conflict")

        shown = auditor.get("/v1/configuration").json()
        assert (shown["config_hash"], shown["built_in"], shown["text"]) == (digest, False, text)
        assert shown["settings"]["authorizations"]["auto_execute"] is False
        [row] = auditor.get("/v1/configuration/versions").json()["items"]
        assert (row["config_hash"], row["published_by"]) == (digest, "human:root")
        version = auditor.get(f"/v1/configuration/versions/{digest}")
        assert version.status_code == 200 and version.json()["text"] == text
        _refused(auditor.get(f"/v1/configuration/versions/{'0' * 64}"), 404, "not_found")
    live.gov.ledger.verify()


@pytest.mark.parametrize(
    "text",
    [
        "approvals: [unclosed",  # not YAML
        "approvals:\n  owner_may_approve: sometimes\n",  # a bad value
        "no_such_section: {}\n",  # an unknown key
        "- a list\n",  # not a mapping
    ],
)
def test_an_invalid_configuration_is_refused_and_nothing_is_written(live: Live, text: str) -> None:
    before, in_force = live.size(), live.gov.configuration().hash
    with live.client("admin") as admin:
        refused = admin.post("/v1/configuration", json={"text": text})
    _refused(refused, 400, "invalid_configuration")
    assert "sometimes" not in refused.text  # names the key, never echoes the value
    assert live.size() == before
    assert live.gov.configuration().hash == in_force


BAD_BODIES: list[tuple[str, str, dict[str, Any]]] = [
    ("/v1/cases/C-base/hold", "extra", {"reason": "x", "extra": 1}),  # unknown field
    ("/v1/cases/C-base/hold", "reason", {"reason": "x" * 4001}),  # too long
    ("/v1/cases/C-base/hold", "reason", {"reason": 5}),  # wrong type
    ("/v1/cases/C-base/hold", "reason", {"reason": ""}),  # required
    ("/v1/cases/C-base/hold", "reason", {}),
    ("/v1/cases/C-base/release", "reason", {"reason": ["x"]}),
    ("/v1/erasures", "payloads", {"payloads": ["not-a-sha"], "reason": "x"}),
    ("/v1/erasures", "payloads", {"payloads": ["a" * 64] * 501, "reason": "x"}),
    ("/v1/erasures", "case", {"case": "bad case", "reason": "x"}),
    ("/v1/erasures", "request", {"case": "C-base", "payloads": ["a" * 64], "reason": "x"}),
    ("/v1/erasures", "request", {"reason": "x"}),  # neither a case nor payloads
    ("/v1/erasure-requests", "reason", {"case": "C-base"}),
    ("/v1/retention/sweep", "dry_run", {"dry_run": "maybe"}),
    ("/v1/retention/sweep", "force", {"force": True}),
    ("/v1/identities/triage/owner", "owner", {"owner": "Саrol"}),  # not an identifier
    ("/v1/identities/triage/owner", "previous", {"owner": "carol", "previous": "olivia"}),
    ("/v1/configuration", "text", {"text": 7}),
    ("/v1/configuration", "text", {"text": ""}),
]


@pytest.mark.parametrize(("path", "field", "body"), BAD_BODIES)
def test_bad_input_is_refused_and_writes_nothing(
    live: Live, path: str, field: str, body: dict[str, Any]
) -> None:
    case_with_payloads(live, "C-base")
    before = live.size()
    with live.client("admin") as admin:
        refused = admin.post(path, json=body)
    _refused(refused, 400, "invalid_input")
    if field != "request":
        assert refused.json()["error"]["message"].startswith(field), refused.text
    assert live.size() == before


def test_an_oversized_body_is_refused(live: Live) -> None:
    before = live.size()
    with live.client("admin") as admin:
        big = admin.post("/v1/configuration", json={"text": "# x\n" * 20_000})  # > 64 KiB
        _refused(big, 413, "too_large")
        bad_path = admin.post("/v1/cases/bad%20case/hold", json={"reason": "x"})
        _refused(bad_path, 400, "invalid_input")
    assert live.size() == before


WRITES: list[tuple[str, dict[str, Any]]] = [
    ("/v1/cases/C-base/hold", {"reason": "litigation"}),
    ("/v1/cases/C-base/release", {"reason": "settled"}),
    ("/v1/erasures", {"case": "C-base", "reason": "request"}),
    ("/v1/erasure-requests", {"case": "C-base", "reason": "request"}),
    ("/v1/erasure-requests/ereq_1/approve", {}),
    ("/v1/retention/sweep", {"dry_run": False}),
    ("/v1/identities/triage/owner", {"owner": "carol"}),
    ("/v1/configuration", {"text": configuration_text(auto_execute=False)}),
]


@pytest.mark.parametrize("who", ["agent", "analyst", "integration", "auditor"])
def test_only_an_admin_may_write(live: Live, who: str) -> None:
    case_with_payloads(live, "C-base")
    before = live.size()
    with live.client(who) as caller:
        for path, body in WRITES:
            _refused(caller.post(path, json=body), 403, "forbidden")
        if who != "auditor":
            for path in ("/v1/holds", "/v1/erasure-requests", "/v1/incidents", "/v1/configuration"):
                _refused(caller.get(path), 403, "forbidden")
    assert live.size() == before
    assert live.gov.identity("triage").owner == "olivia"


def test_a_retried_hold_is_written_once(live: Live) -> None:
    case = case_with_payloads(live, "C-retry")
    with live.client("admin", **{"Idempotency-Key": "hold-1"}) as admin:
        first = admin.post(f"/v1/cases/{case}/hold", json={"reason": "litigation"})
        size = live.size()
        again = admin.post(f"/v1/cases/{case}/hold", json={"reason": "litigation"})
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert live.size() == size


def test_lists_page_by_cursor(live: Live) -> None:
    for n in range(3):
        live.gov.hold_case(case_with_payloads(live, f"C-page{n}"), reason="litigation")
    with live.client("auditor") as auditor:
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2} | ({} if cursor is None else {"cursor": cursor})
            body = auditor.get("/v1/holds", params=params).json()
            seen += [h["case"] for h in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
    assert seen == ["C-page0", "C-page1", "C-page2"]
