"""The governance core end to end: decisions, approvals, authority, dispositions, replay."""

from __future__ import annotations

import pytest
from tests.governance.conftest import Cast, Clock

from affidavit.errors import AuthError, Conflict, InputError, NotFound, PolicyError
from affidavit.governance.governor import Governor
from affidavit.oversight import replay_case


def _verify(gov: Governor) -> None:
    gov.ledger.verify()


def _assets(gov: Governor, tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "assets.csv"
    path.write_text(
        "id,kind,criticality,environment,owner,tags\n"
        "pc-sales-0215,host,medium,prod,sales,laptop\n"
        "srv-db-01,host,critical,prod,dba,database;pci\n"
        "alice@corp.example,user,high,prod,hr,\n"
    )
    assert gov.import_assets(path) == 3


def test_enrichment_runs_without_approval_and_executes(
    gov: Governor, cast: Cast, connectors: dict
) -> None:
    proposal = gov.propose(
        cast.triage,
        case="CASE-1",
        action="enrich_ip_reputation",
        target="ip:203.0.113.7",
        evidence=["alert:t-1"],
    )
    assert proposal.effect == "allow"
    assert proposal.status == "executed"
    assert [r.action for r in connectors["intel"].executed] == ["enrich_ip_reputation"]
    _verify(gov)


def test_containment_needs_one_approver(
    gov: Governor, cast: Cast, tmp_path: object, connectors: dict
) -> None:
    _assets(gov, tmp_path)
    proposal = gov.propose(
        cast.triage,
        case="CASE-2",
        action="isolate_host",
        target="host:pc-sales-0215",
        confidence=0.9,
        rationale="beaconing to known C2",
        evidence=["alert:t-1"],
    )
    assert (proposal.effect, proposal.approvals_required, proposal.status) == (
        "require_approval",
        1,
        "pending_approval",
    )
    assert connectors["edr"].executed == []
    gov.open_evidence(cast.alice, proposal.id, 0)
    done = gov.approve(cast.alice, proposal.id, rationale="C2 confirmed in proxy logs")
    assert done.status == "executed"
    [request] = connectors["edr"].executed
    assert (request.action, request.target_id, request.action_hash) == (
        "isolate_host",
        "pc-sales-0215",
        proposal.action_hash,
    )


def test_separation_of_duties_matrix(
    gov: Governor, cast: Cast, clock: Clock, tmp_path: object
) -> None:
    _assets(gov, tmp_path)
    by_agent = gov.propose(
        cast.triage,
        case="C",
        action="isolate_host",
        target="host:pc-sales-0215",
        evidence=["alert:t-1"],
    )
    by_alice = gov.propose(
        cast.alice,
        case="C",
        action="isolate_host",
        target="host:pc-sales-0215",
        evidence=["alert:t-1"],
    )
    user_impact = gov.propose(
        cast.triage,
        case="C",
        action="disable_account",
        target="user:alice@corp.example",
        evidence=["alert:t-1"],
    )
    with pytest.raises(PolicyError, match="proposed"):
        gov.approve(cast.alice, by_alice.id, rationale="mine")  # requester
    with pytest.raises(PolicyError, match="accountable owner"):
        gov.approve(cast.olivia, by_agent.id, rationale="my agent")  # agent owner
    with pytest.raises(AuthError, match="only people"):
        gov.approve(cast.triage, by_alice.id, rationale="agent approving")  # agent token
    with pytest.raises(PolicyError, match="roles approver:ir_lead"):
        gov.approve(cast.dave, user_impact.id, rationale="analyst only")  # wrong role
    gov.set_identity_status("carol", "suspended")
    with pytest.raises(AuthError, match="suspended"):
        gov.approve(cast.carol, by_agent.id, rationale="suspended")  # suspended approver
    clock.advance(hours=2)  # past the one-hour expiry of tier 2 requests
    with pytest.raises(Conflict, match="expired"):
        gov.approve(cast.bob, by_agent.id, rationale="too late")  # expired request
    assert gov.proposal(by_agent.id).status == "expired"
    _verify(gov)


def test_quorum_counts_distinct_people(gov: Governor, cast: Cast, tmp_path: object) -> None:
    _assets(gov, tmp_path)
    proposal = gov.propose(
        cast.triage,
        case="C",
        action="isolate_host",
        target="host:srv-db-01",
        confidence=0.9,
        evidence=["alert:t-1"],
    )
    assert proposal.approvals_required == 2
    gov.open_evidence(cast.alice, proposal.id, 0)
    assert gov.approve(cast.alice, proposal.id, rationale="yes").status == "pending_approval"
    with pytest.raises(Conflict, match="distinct people"):
        gov.approve(cast.alice, proposal.id, rationale="yes again")
    gov.open_evidence(cast.carol, proposal.id, 0)
    assert gov.approve(cast.carol, proposal.id, rationale="agreed").status == "executed"


def test_low_confidence_agent_proposal_needs_evidence_view(gov: Governor, cast: Cast) -> None:
    proposal = gov.propose(
        cast.triage,
        case="C",
        action="block_ip",
        target="ip:198.51.100.4",
        confidence=0.4,
        evidence=["alert:t-1"],
    )
    assert proposal.require_evidence_view
    with pytest.raises(PolicyError, match="open at least one evidence item"):
        gov.approve(cast.alice, proposal.id, rationale="ok")
    gov.view_evidence(cast.alice, proposal.id)  # the list as a whole is not an item read
    with pytest.raises(PolicyError, match="open at least one evidence item"):
        gov.approve(cast.alice, proposal.id, rationale="ok")
    gov.open_evidence(cast.alice, proposal.id, 0)
    assert gov.approve(cast.alice, proposal.id, rationale="ok").status == "pending_approval"
    assert proposal.approvals_required == 2  # an IP missing from the inventory counts as critical
    with pytest.raises(PolicyError, match="open at least one evidence item"):
        gov.approve(cast.carol, proposal.id, rationale="ok")
    gov.view_evidence(cast.carol, proposal.id)
    gov.open_evidence(cast.carol, proposal.id, 0)
    assert gov.approve(cast.carol, proposal.id, rationale="ok").status == "executed"


def test_user_impact_needs_role_and_evidence_view(
    gov: Governor, cast: Cast, tmp_path: object
) -> None:
    _assets(gov, tmp_path)
    proposal = gov.propose(
        cast.triage,
        case="C",
        action="disable_account",
        target="user:alice@corp.example",
        evidence=["alert:t-1"],
    )
    assert proposal.approver_roles == ("approver:ir_lead",)
    with pytest.raises(PolicyError, match="open at least one evidence item"):
        gov.approve(cast.bob, proposal.id, rationale="ok")
    gov.view_evidence(cast.bob, proposal.id)
    gov.open_evidence(cast.bob, proposal.id, 0)
    assert gov.approve(cast.bob, proposal.id, rationale="ok").status in ("authorized", "executed")


def test_denial_needs_rationale_and_closes_the_request(gov: Governor, cast: Cast) -> None:
    proposal = gov.propose(
        cast.triage, case="C", action="block_ip", target="ip:198.51.100.9", evidence=["alert:t-1"]
    )
    with pytest.raises(InputError, match="rationale"):
        gov.approve(cast.alice, proposal.id, rationale="  ", deny=True)
    assert (
        gov.approve(cast.alice, proposal.id, rationale="internal scanner", deny=True).status
        == "denied"
    )
    with pytest.raises(Conflict, match="denied"):
        gov.approve(cast.bob, proposal.id, rationale="late yes")


def test_forbid_overrides_permit_and_scope(gov: Governor, cast: Cast) -> None:
    wipe = gov.propose(
        cast.triage, case="C", action="wipe_host", target="host:pc-1", evidence=["alert:t-1"]
    )
    assert (wipe.effect, wipe.status) == ("deny", "denied")
    out_of_scope = gov.propose(
        cast.triage,
        case="C",
        action="quarantine_file",
        target="file:" + "a" * 64,
        evidence=["alert:t-1"],
    )
    assert out_of_scope.effect == "deny"
    by_person = gov.propose(
        cast.alice, case="C", action="wipe_host", target="host:pc-1", evidence=["alert:t-1"]
    )
    assert (by_person.effect, by_person.approvals_required) == ("require_approval", 2)


def test_no_matching_permit_fails_closed(gov: Governor, cast: Cast) -> None:
    gov.publish_policy(
        '@id("only-enrichment")\n@approvals("0")\npermit (principal, action in Action::"tier_0", resource);\n'
    )
    assert (
        gov.propose(
            cast.alice,
            case="C",
            action="block_ip",
            target="ip:198.51.100.1",
            evidence=["alert:t-1"],
        ).effect
        == "deny"
    )
    assert (
        gov.propose(
            cast.alice,
            case="C",
            action="enrich_ip_reputation",
            target="ip:198.51.100.1",
            evidence=["alert:t-1"],
        ).effect
        == "allow"
    )


def test_publish_rejects_typos(gov: Governor) -> None:
    with pytest.raises((InputError, PolicyError)):
        gov.publish_policy(
            '@id("typo")\n@approvals("0")\npermit (principal, action, resource) when { resource.critcality == "low" };\n'
        )


def test_unknown_action_and_bad_params_are_refused(gov: Governor, cast: Cast) -> None:
    with pytest.raises((InputError, PolicyError, NotFound)):
        gov.propose(
            cast.alice, case="C", action="launch_missiles", target="host:x", evidence=["alert:t-1"]
        )
    with pytest.raises(InputError):
        gov.propose(
            cast.alice,
            case="C",
            action="block_domain",
            target="domain:evil.example",
            params={"ttl_seconds": "forever"},
            evidence=["alert:t-1"],
        )
    with pytest.raises(InputError):
        gov.propose(
            cast.alice, case="C", action="isolate_host", target="no-colon", evidence=["alert:t-1"]
        )
    with pytest.raises(InputError):
        gov.propose(
            cast.alice,
            case="bad case id!",
            action="isolate_host",
            target="host:x",
            evidence=["alert:t-1"],
        )
    with pytest.raises(AuthError):
        gov.propose(
            "afd_not-a-real-token",
            case="C",
            action="isolate_host",
            target="host:x",
            evidence=["alert:t-1"],
        )
    with pytest.raises(AuthError):
        gov.propose(None, case="C", action="isolate_host", target="host:x", evidence=["alert:t-1"])
    _verify(gov)


def test_authorization_is_single_use_bound_and_expiring(
    ledger: object, settings: object, clock: Clock, connectors: dict
) -> None:
    from tests.governance.conftest import add_cast, make_governor

    gov = make_governor(ledger, settings, clock, connectors, auto_execute=False)  # type: ignore[arg-type]
    cast = add_cast(gov)
    first = gov.propose(
        cast.alice, case="C", action="block_ip", target="ip:198.51.100.7", evidence=["alert:t-1"]
    )
    gov.open_evidence(cast.bob, first.id, 0)
    gov.approve(cast.bob, first.id, rationale="ok")
    gov.open_evidence(cast.carol, first.id, 0)
    gov.approve(cast.carol, first.id, rationale="ok")
    with pytest.raises(PolicyError, match="differ"):
        gov.execute(first.id, params={"ttl_seconds": 60})  # changed parameters
    with pytest.raises(PolicyError, match="differ"):
        gov.execute(first.id, target="ip:198.51.100.8")  # changed target
    assert gov.execute(first.id) == "executed"
    with pytest.raises(Conflict, match="already used"):
        gov.execute(first.id)  # replayed
    assert len(connectors["firewall"].executed) == 1

    second = gov.propose(
        cast.alice, case="C", action="block_ip", target="ip:198.51.100.9", evidence=["alert:t-1"]
    )
    gov.open_evidence(cast.bob, second.id, 0)
    gov.approve(cast.bob, second.id, rationale="ok")
    gov.open_evidence(cast.carol, second.id, 0)
    gov.approve(cast.carol, second.id, rationale="ok")
    clock.advance(seconds=gov.configuration().authorization_ttl_s + 1)
    with pytest.raises(AuthError, match="expired"):
        gov.execute(second.id)

    third = gov.propose(
        cast.alice, case="C", action="block_ip", target="ip:198.51.100.10", evidence=["alert:t-1"]
    )
    gov.open_evidence(cast.bob, third.id, 0)
    gov.approve(cast.bob, third.id, rationale="ok")
    gov.open_evidence(cast.carol, third.id, 0)
    gov.approve(cast.carol, third.id, rationale="ok")
    gov.publish_policy(gov.active_policy()[1] + "\n// a new version\n")
    with pytest.raises(PolicyError, match="policy changed"):
        gov.execute(third.id)

    pending = gov.propose(
        cast.alice, case="C", action="block_ip", target="ip:198.51.100.11", evidence=["alert:t-1"]
    )
    with pytest.raises(AuthError, match="no authorization"):
        gov.execute(pending.id)
    _verify(gov)


def test_breakglass_opens_a_review(gov: Governor, cast: Cast, clock: Clock) -> None:
    proposal = gov.propose(
        cast.triage, case="C", action="block_ip", target="ip:198.51.100.20", evidence=["alert:t-1"]
    )
    with pytest.raises(PolicyError, match="breakglass right"):
        gov.breakglass(cast.alice, proposal.id, justification="hurry")
    with pytest.raises(AuthError):
        gov.breakglass(cast.triage, proposal.id, justification="agent hurry")
    with pytest.raises(InputError, match="justification"):
        gov.breakglass(cast.bob, proposal.id, justification="")
    assert (
        gov.breakglass(
            cast.bob, proposal.id, justification="ransomware spreading, no approver reachable"
        ).status
        == "executed"
    )
    [review] = gov.breakglass_reviews()
    assert review["outcome"] is None and not review["overdue"]
    clock.advance(hours=25)
    assert gov.breakglass_reviews(overdue_only=True)[0]["proposal"] == proposal.id
    with pytest.raises(PolicyError, match="cannot review"):
        gov.review_breakglass(cast.bob, proposal.id, upheld=True, rationale="I was right")
    gov.review_breakglass(cast.carol, proposal.id, upheld=True, rationale="justified by the spread")
    with pytest.raises(Conflict, match="already reviewed"):
        gov.review_breakglass(cast.alice, proposal.id, upheld=False, rationale="again")
    assert gov.breakglass_reviews(overdue_only=True) == []


def test_dispositions(gov: Governor, cast: Cast) -> None:
    rec = gov.propose(
        cast.triage,
        case="C",
        action="disable_account",
        target="user:bob@corp.example",
        evidence=["alert:t-1"],
    )
    alt = gov.propose(
        cast.alice,
        case="C",
        action="revoke_sessions",
        target="user:bob@corp.example",
        evidence=["alert:t-1"],
    )
    with pytest.raises(InputError, match="rationale"):
        gov.dispose(cast.alice, rec.id, outcome="rejected", reason="false_positive")
    with pytest.raises(InputError, match="reason"):
        gov.dispose(cast.alice, rec.id, outcome="rejected", reason="vibes", rationale="x")
    with pytest.raises(InputError, match="names the proposal"):
        gov.dispose(
            cast.alice, rec.id, outcome="overridden", reason="better_alternative", rationale="x"
        )
    with pytest.raises(InputError, match="only people"):
        gov.dispose(cast.triage, rec.id, outcome="accepted", reason="true_positive")
    gov.view_evidence(cast.alice, rec.id)
    gov.dispose(
        cast.alice,
        rec.id,
        outcome="overridden",
        reason="better_alternative",
        rationale="revoking sessions contains it without locking out the CFO",
        override_with=alt.id,
    )
    details = gov.proposal_details(rec.id)
    [d] = details["dispositions"]
    assert (d["outcome"], d["override_with"]) == ("overridden", alt.id)


def test_steps_and_handoffs_respect_data_classes(gov: Governor, cast: Cast) -> None:
    first = gov.record_step(
        cast.triage,
        case="C",
        model="gpt-sec",
        model_version="2026-10",
        prompt=b"summarise alert",
        output=b"user alice@corp.example ran mimikatz",
        data_classes=["pii"],
    )
    with pytest.raises(PolicyError, match="pii"):
        gov.record_step(
            cast.responder,
            case="C",
            model="gpt-sec",
            model_version="2026-10",
            prompt=b"next",
            output=b"contain",
            parents=[first.id],
        )
    with pytest.raises(PolicyError, match="pii"):
        gov.record_step(
            cast.responder,
            case="C",
            model="m",
            model_version="1",
            prompt=b"p",
            output=b"o",
            data_classes=["pii"],
        )
    with pytest.raises(AuthError):
        gov.record_step(
            cast.alice, case="C", model="m", model_version="1", prompt=b"p", output=b"o"
        )
    with pytest.raises(NotFound):
        gov.record_step(
            cast.triage,
            case="C",
            model="m",
            model_version="1",
            prompt=b"p",
            output=b"o",
            parents=["step_nope"],
        )
    second = gov.record_step(
        cast.triage,
        case="C",
        model="gpt-sec",
        model_version="2026-10",
        prompt=b"plan",
        output=b"isolate",
        parents=[first.id],
    )
    assert second.data_classes == ("pii",)  # labels travel along the DAG
    proposal = gov.propose(
        cast.triage,
        case="C",
        action="add_case_note",
        target="case:C",
        step=second.id,
        params={"text": "mimikatz seen"},
        evidence=["alert:t-1"],
    )
    assert proposal.step_id == second.id


def test_identity_lifecycle(gov: Governor, cast: Cast, clock: Clock) -> None:
    gov.set_identity_status("dave", "suspended")
    with pytest.raises(AuthError, match="suspended"):
        gov.authenticate(cast.dave)
    gov.set_identity_status("dave", "active")
    assert gov.authenticate(cast.dave).id == "dave"
    new_token, _ = gov.rotate_token("dave")
    with pytest.raises(AuthError, match="revoked"):
        gov.authenticate(cast.dave)
    assert gov.authenticate(new_token).id == "dave"
    gov.set_identity_status("dave", "retired")
    with pytest.raises(AuthError):
        gov.authenticate(new_token)
    with pytest.raises(Conflict, match="final"):
        gov.set_identity_status("dave", "active")
    clock.advance(days=91)
    with pytest.raises(AuthError, match="expired"):
        gov.authenticate(cast.alice)
    # tokens are never ledgered
    for entry in gov.ledger.entries():
        assert cast.alice.encode() not in entry.data and new_token.encode() not in entry.data


def test_agent_needs_an_active_human_owner(gov: Governor, cast: Cast) -> None:
    from affidavit.governance.identities import Identity

    with pytest.raises(NotFound):
        gov.add_identity(Identity(id="orphan", kind="agent", owner="nobody"))
    with pytest.raises(InputError, match="owner"):
        Identity(id="orphan", kind="agent")
    with pytest.raises(InputError, match=r"never approve|scopes, not roles"):
        Identity(id="sneaky", kind="agent", owner="alice", roles=("approver:ir_lead",))
    with pytest.raises(Conflict):
        gov.add_identity(Identity(id="alice", kind="human"))


def test_case_replay_equals_the_tables(
    gov: Governor, cast: Cast, clock: Clock, tmp_path: object
) -> None:
    _assets(gov, tmp_path)
    a = gov.propose(
        cast.triage,
        case="CASE-R",
        action="isolate_host",
        target="host:srv-db-01",
        confidence=0.95,
        evidence=["alert:t-1"],
    )
    gov.open_evidence(cast.alice, a.id, 0)
    gov.approve(cast.alice, a.id, rationale="yes")
    gov.open_evidence(cast.carol, a.id, 0)
    gov.approve(cast.carol, a.id, rationale="yes")
    b = gov.propose(
        cast.triage,
        case="CASE-R",
        action="block_ip",
        target="ip:198.51.100.30",
        evidence=["alert:t-1"],
    )
    gov.approve(cast.bob, b.id, rationale="no", deny=True)
    c = gov.propose(
        cast.triage,
        case="CASE-R",
        action="enrich_ip_reputation",
        target="ip:198.51.100.30",
        evidence=["alert:t-1"],
    )
    d = gov.propose(
        cast.triage,
        case="CASE-R",
        action="block_ip",
        target="ip:198.51.100.31",
        evidence=["alert:t-1"],
    )
    gov.breakglass(cast.bob, d.id, justification="spreading")
    e = gov.propose(
        cast.triage,
        case="CASE-R",
        action="block_ip",
        target="ip:198.51.100.32",
        evidence=["alert:t-1"],
    )
    gov.dispose(cast.alice, c.id, outcome="accepted", reason="true_positive")
    gov.dispose(cast.alice, b.id, outcome="rejected", reason="false_positive", rationale="scanner")
    clock.advance(hours=3)  # e expires unapproved
    replay = replay_case(gov.ledger, "CASE-R", clock())
    assert replay.state() == gov.case_state("CASE-R")
    statuses = {pid: s["status"] for pid, s in replay.state().items()}
    assert statuses == {
        a.id: "executed",
        b.id: "denied",
        c.id: "executed",
        d.id: "executed",
        e.id: "expired",
    }
    assert replay.timeline[0]["type"] == "case.opened"
    _verify(gov)


def test_detokenize_is_audited_and_role_bound(gov: Governor, cast: Cast) -> None:
    from affidavit.governance.identities import Identity

    step = gov.record_step(
        cast.responder,
        case="C-T",
        model="m",
        model_version="1",
        prompt=b"who is maria.gonzalez@example.org?",
        output=b"a customer",
    )
    stored = gov.ledger.payload(step.prompt_sha256).decode()
    assert "maria.gonzalez@example.org" not in stored  # responder may not see pii: tokenized
    token = stored.split("is ", 1)[1].rstrip("?")
    assert token.startswith("[PII:email:tok_")
    with pytest.raises(PolicyError, match="detokenize role"):
        gov.detokenize(cast.alice, token, reason="curious", case="C-T")
    _, dpo = gov.add_identity(Identity(id="dpo", kind="human", roles=("detokenize",)))
    with pytest.raises(InputError, match="reason"):
        gov.detokenize(dpo, token, reason=" ", case="C-T")
    assert (
        gov.detokenize(dpo, token, reason="fraud investigation #12", case="C-T")
        == "maria.gonzalez@example.org"
    )
    revealed = [e for e in gov.ledger.entries(case="C-T") if e.type == "token.revealed"]
    assert len(revealed) == 1
    assert b"maria.gonzalez" not in revealed[0].data
    assert revealed[0].actor == "human:dpo"


def test_a_bundle_published_elsewhere_voids_authorizations_decided_on_the_old_one(
    ledger: object,
    settings: object,
    clock: Clock,
    connectors: dict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another node's publish may reach this one's decision cache up to a second late;
    the executor still reads the active bundle fresh and refuses the stale authorization."""
    from tests.governance.conftest import add_cast, make_governor

    from affidavit.governance import policies

    monkeypatch.setattr(policies, "ACTIVE_BUNDLE_TTL_S", 3600.0)  # a slow node: stale for sure
    here = make_governor(ledger, settings, clock, connectors, auto_execute=False)  # type: ignore[arg-type]
    elsewhere = make_governor(ledger, settings, clock, connectors)  # type: ignore[arg-type]
    cast = add_cast(here)
    here.propose(
        cast.alice,
        case="C",
        action="enrich_ip_reputation",
        target="ip:203.0.113.1",
        evidence=["alert:t-1"],
    )  # warm
    elsewhere.publish_policy(elsewhere.active_policy()[1] + "\n// v2 from another node\n")
    stale = here.propose(
        cast.alice,
        case="C",
        action="enrich_ip_reputation",
        target="ip:203.0.113.2",
        evidence=["alert:t-1"],
    )
    assert stale.status == "authorized"
    assert stale.bundle_hash != elsewhere.active_policy()[0]  # decided under the old bundle
    with pytest.raises(PolicyError, match="policy changed"):
        here.execute(stale.id)
