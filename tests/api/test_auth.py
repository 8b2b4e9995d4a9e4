"""Authentication on the request path: once per request, and never trusted past it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from tests.api.conftest import Live

PROPOSAL = {"case": "C-1", "action": "enrich_ip_reputation", "target": "ip:203.0.113.7"}


def _token_lookups(live: Live, call: Any) -> int:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "token_hash" in statement:
            seen.append(statement)

    engine = live.gov.ledger.db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_a_proposal_authenticates_its_token_once(live: Live) -> None:
    with live.client("agent") as agent:

        def post() -> None:
            assert agent.post("/v1/proposals", json=PROPOSAL).status_code == 201

        assert _token_lookups(live, post) == 1


def test_an_identity_suspended_after_authentication_cannot_propose(live: Live) -> None:
    from affidavit.errors import AuthError

    agent = live.gov.caller(live.tokens["agent"])
    before = live.size()
    live.gov.set_identity_status(agent.id, "suspended")
    with pytest.raises(AuthError, match="suspended"):
        live.gov.propose(agent, **PROPOSAL)
    assert live.size() == before + 1  # the suspension only
