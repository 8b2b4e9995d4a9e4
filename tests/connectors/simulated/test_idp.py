"""The simulated identity provider: accounts disabled, sessions revoked, resets forced."""

from __future__ import annotations

import pytest

from affidavit.connectors import SimulatedIdP
from affidavit.connectors._tables import sim_idp_accounts
from affidavit.errors import InputError
from affidavit.store import Database
from tests.connectors._shared import Clock, make_request, rows


@pytest.fixture
def idp(db: Database, clock: Clock) -> SimulatedIdP:
    return SimulatedIdP(db, clock=clock)


def test_disable_account(idp: SimulatedIdP, db: Database) -> None:
    request = make_request("disable_account", "user:alice", {"comment": "phished"})
    result = idp.execute(request)
    assert result.detail["previous"] == {
        "disabled": False,
        "disabled_by": None,
        "disabled_at": None,
    }
    [row] = rows(db, sim_idp_accounts, user_id="alice")
    assert (row["disabled"], row["disabled_by"], row["disable_comment"]) == (
        True,
        request.execution_id,
        "phished",
    )
    again = idp.execute(make_request("disable_account", "user:alice"))
    assert again.detail["changed"] is False
    assert again.detail["previous"]["disabled_by"] == request.execution_id


def test_revoke_sessions_counts_what_it_ended(idp: SimulatedIdP, db: Database) -> None:
    context = idp.execute(make_request("lookup_user_context", "user:bob"))
    active = context.detail["active_sessions"]
    assert 1 <= active <= 6
    first = idp.execute(make_request("revoke_sessions", "user:bob"))
    assert first.detail["sessions_revoked"] == active
    assert first.detail["previous"] == {"active_sessions": active}
    [row] = rows(db, sim_idp_accounts, user_id="bob")
    assert (row["active_sessions"], row["sessions_revoked"]) == (0, active)
    second = idp.execute(make_request("revoke_sessions", "user:bob"))
    assert (second.detail["sessions_revoked"], second.detail["changed"]) == (0, False)


def test_revoking_with_the_same_execution_id_twice_revokes_once(
    idp: SimulatedIdP, db: Database
) -> None:
    request = make_request("revoke_sessions", "user:carol")
    first = idp.execute(request)
    assert idp.execute(request) == first
    assert rows(db, sim_idp_accounts, user_id="carol")[0]["sessions_revoked_by"] == (
        request.execution_id
    )


def test_force_password_reset(idp: SimulatedIdP, db: Database) -> None:
    result = idp.execute(make_request("force_password_reset", "user:dave", {"notify_user": True}))
    assert result.detail["user_notified"] is True
    assert result.detail["previous"]["password_reset_required"] is False
    assert rows(db, sim_idp_accounts, user_id="dave")[0]["password_reset_required"] is True


def test_lookup_user_context_reflects_state(idp: SimulatedIdP) -> None:
    before = idp.execute(make_request("lookup_user_context", "user:erin", {"sign_in_days": 30}))
    assert before.detail["disabled"] is False
    assert before.detail["sign_in_days"] == 30
    idp.execute(make_request("disable_account", "user:erin"))
    after = idp.execute(make_request("lookup_user_context", "user:erin", {"sign_in_days": 30}))
    assert after.detail["disabled"] is True
    assert after.detail["groups"] == before.detail["groups"]


@pytest.mark.parametrize(
    ("action", "target", "params", "message"),
    [
        ("isolate_host", "host:pc-1", {}, "cannot run action isolate_host"),
        ("disable_account", "host:pc-1", {}, "applies to user targets"),
        ("lookup_user_context", "user:frank", {"sign_in_days": 91}, "sign_in_days"),
        ("force_password_reset", "user:frank", {"notify_user": "yes"}, "notify_user"),
    ],
)
def test_requests_the_idp_cannot_serve(
    idp: SimulatedIdP, action: str, target: str, params: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        idp.execute(make_request(action, target, params))
