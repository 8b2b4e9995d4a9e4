"""Accountable administration and erasure (issue 9, item 8), written as the attacker.

Before: every administrative act was ledgered as an anonymous ``system:admin``, any
actor name could be written into an erasure, one person could erase the evidence of
a containment case, and nothing could stop a sweep from erasing a case under a legal
hold."""

from __future__ import annotations

import pytest
from tests.conftest import configure
from tests.governance.conftest import Cast, Clock

from affidavit.errors import AuthError, Conflict, NotFound, PolicyError
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity


@pytest.fixture
def admins(gov: Governor, cast: Cast) -> tuple[str, str]:
    """Two admins' tokens: root and ada."""
    _, root = gov.add_identity(Identity(id="root", kind="human", roles=("admin",)))
    _, ada = gov.add_identity(Identity(id="ada", kind="human", roles=("admin",)))
    return root, ada


def _actors(gov: Governor) -> list[tuple[str, str]]:
    return [(e.type, e.actor) for e in gov.ledger.entries()]


def test_no_administrative_act_is_anonymous(gov: Governor, cast: Cast) -> None:
    gov.set_identity_status("dave", "suspended")
    gov.rotate_token("alice")
    gov.publish_policy(gov.active_policy()[1] + "\n// v2\n")
    from affidavit.governance import operators

    local = operators.local_operator()
    assert local.startswith("local:") and "@" in local
    admin_types = {"identity.created", "identity.suspended", "identity.token_rotated"}
    acts = [(t, a) for t, a in _actors(gov) if t in admin_types | {"policy.published"}]
    assert acts and {a for _, a in acts} == {local}
    assert all(not a.startswith("system:admin") for _, a in _actors(gov))


def test_the_local_operator_is_the_os_account_not_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from affidavit.governance import operators

    before = operators.local_operator()
    monkeypatch.setenv("USER", "human:olivia")
    monkeypatch.setenv("LOGNAME", "human:olivia")
    assert operators.local_operator() == before


def test_an_admin_token_names_the_admin_and_a_non_admin_token_is_refused(
    gov: Governor, cast: Cast, admins: tuple[str, str]
) -> None:
    root, _ = admins
    gov.set_identity_status("dave", "suspended", token=root)
    assert _actors(gov)[-1] == ("identity.suspended", "human:root")
    size = gov.ledger.size()
    for intruder in (cast.alice, cast.triage):  # an approver, an agent: not admins
        with pytest.raises(AuthError, match="admin role"):
            gov.set_identity_status("dave", "active", token=intruder)
    with pytest.raises(AuthError, match="invalid token"):
        gov.set_identity_status("dave", "active", token="afd_forged")
    assert gov.ledger.size() == size


def test_an_admin_suspended_after_authenticating_is_refused_inside_the_write(
    gov: Governor, cast: Cast, admins: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, ada = admins
    real = gov.operator
    raced: list[bool] = []

    def racing(token: str | None, now: object) -> str:
        actor = real(token, now)  # type: ignore[arg-type]
        if not raced:
            raced.append(True)
            gov.set_identity_status("root", "suspended", token=ada)
        return actor

    monkeypatch.setattr(gov, "operator", racing)
    with pytest.raises(AuthError, match="root is suspended"):
        gov.set_identity_status("dave", "suspended", token=root)
    assert {i.id: i.status for i in gov.identities()}["dave"] == "active"


def _serious_case(gov: Governor, cast: Cast, case: str = "C-IR") -> tuple[str, str]:
    """A case where account revocation (tier 3) was proposed; (prompt, output) payloads."""
    step = gov.record_step(
        cast.triage, case=case, model="m", model_version="1", prompt=b"who?", output=b"mallory"
    )
    gov.propose(cast.triage, case=case, action="revoke_sessions", target="user:bob@corp.example")
    return step.prompt_sha256, step.output_sha256


def test_one_admin_alone_cannot_erase_the_evidence_of_a_tier_3_case(
    gov: Governor, cast: Cast, admins: tuple[str, str]
) -> None:
    root, ada = admins
    _, output = _serious_case(gov, cast)
    with pytest.raises(PolicyError, match="second admin"):
        gov.erase_case("C-IR", reason="cover my tracks", token=root)
    with pytest.raises(PolicyError, match="second admin"):
        gov.erase_payloads([output], reason="cover my tracks", token=root)
    assert gov.ledger.payload(output) == b"mallory"

    request = gov.request_erasure(case="C-IR", reason="court order 17", token=root)
    with pytest.raises(PolicyError, match="second person"):
        gov.approve_erasure(request.id, token=root)
    with pytest.raises(PolicyError, match="named admin"):
        gov.approve_erasure(request.id, token=None)  # an unnamed local account
    with pytest.raises(AuthError, match="admin role"):
        gov.approve_erasure(request.id, token=cast.carol)
    assert gov.ledger.payload(output) == b"mallory"
    assert [r["id"] for r in gov.erasure_requests()] == [request.id]

    erasure = gov.approve_erasure(request.id, token=ada)
    assert erasure.payloads == 2
    with pytest.raises(NotFound, match="erased"):
        gov.ledger.payload(output)
    entries = list(gov.ledger.entries())
    requested = next(e for e in entries if e.type == "erasure.requested")
    approved, erased = entries[-2:]
    assert (requested.actor, approved.actor, erased.actor) == ("human:root",) + ("human:ada",) * 2
    assert (approved.type, erased.type) == ("erasure.approved", "payload.erased")
    assert gov.erasure_requests() == []
    with pytest.raises(Conflict, match="already approved"):
        gov.approve_erasure(request.id, token=ada)
    gov.ledger.verify()


def test_a_case_without_serious_actions_is_erased_by_one_named_admin(
    gov: Governor, cast: Cast, admins: tuple[str, str]
) -> None:
    root, _ = admins
    gov.record_step(
        cast.triage, case="C-LOW", model="m", model_version="1", prompt=b"p", output=b"o"
    )
    assert gov.erase_case("C-LOW", reason="subject request 4", token=root) == 2
    assert _actors(gov)[-1] == ("payload.erased", "human:root")


def test_a_legal_hold_blocks_erasure_and_the_sweep_until_released(
    gov: Governor, cast: Cast, admins: tuple[str, str], clock: Clock
) -> None:
    root, ada = admins
    _, output = _serious_case(gov, cast, "C-HOLD")
    step = gov.record_step(
        cast.triage, case="C-LOW", model="m", model_version="1", prompt=b"p", output=b"o"
    )
    gov.hold_case("C-HOLD", reason="litigation 2026-44", token=ada)
    gov.hold_case("C-LOW", reason="litigation 2026-44", token=ada)
    with pytest.raises(Conflict, match="already on legal hold"):
        gov.hold_case("C-LOW", reason="again")
    assert [h["case"] for h in gov.case_holds()] == ["C-HOLD", "C-LOW"]

    with pytest.raises(Conflict, match="legal hold"):
        gov.erase_case("C-LOW", reason="subject request", token=root)
    with pytest.raises(Conflict, match="legal hold"):
        gov.erase_payloads([step.output_sha256], reason="subject request", token=root)
    request = gov.request_erasure(case="C-HOLD", reason="court order", token=root)
    with pytest.raises(Conflict, match="legal hold"):
        gov.approve_erasure(request.id, token=ada)

    clock.advance(days=40)  # past both retention windows below
    configure(gov, retention_impact_days=30, retention_short_days=30)
    swept = gov.sweep_retention(dry_run=False)
    assert [r.payloads for r in swept] == [0, 0]
    assert gov.ledger.payload(output) == b"mallory" and gov.ledger.payload(step.output_sha256)

    gov.release_case("C-LOW", reason="matter closed", token=ada)
    with pytest.raises(Conflict, match="not on legal hold"):
        gov.release_case("C-LOW", reason="again")
    swept = gov.sweep_retention(dry_run=False)
    assert [r.payloads for r in swept] == [2, 0]  # C-LOW only; C-HOLD stays held
    with pytest.raises(NotFound, match="erased"):
        gov.ledger.payload(step.output_sha256)
    assert gov.ledger.payload(output) == b"mallory"
    types = [t for t, _ in _actors(gov)]
    assert types.count("case.held") == 2 and types.count("case.released") == 1
    gov.ledger.verify()


def test_a_hold_placed_after_the_sweep_read_still_protects_the_case(
    gov: Governor, cast: Cast, admins: tuple[str, str], clock: Clock
) -> None:
    """The sweep reads what expired, then erases in a later write: a hold placed between
    the two is honoured, because the erasing write checks the holds itself."""
    from affidavit.governance import holds, retention

    _, ada = admins
    step = gov.record_step(
        cast.triage, case="C-LOW", model="m", model_version="1", prompt=b"p", output=b"o"
    )
    clock.advance(days=60)
    real = holds.sweep_erasure

    def hold_first(*args: object, **kwargs: object) -> object:
        gov.hold_case("C-LOW", reason="hold raced the sweep", token=ada)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(retention, "sweep_erasure", hold_first)
    try:
        gov.sweep_retention(dry_run=False)
    finally:
        monkeypatch.undo()
    assert gov.ledger.payload(step.output_sha256) == b"o"
