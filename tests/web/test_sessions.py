"""The session store itself: limits and what two stores on one database agree on."""

from __future__ import annotations

from datetime import timedelta

from affidavit.ledger.log import Ledger
from affidavit.web.sessions import SessionStore
from tests.conftest import EPOCH


def store(ledger: Ledger, secret: str = "s" * 32, max_sessions: int = 3) -> SessionStore:
    return SessionStore(
        ledger.db, ledger.vault, secret, ttl_s=3600, idle_s=600, max_sessions=max_sessions
    )


def test_the_longest_idle_session_gives_way_beyond_the_maximum(ledger: Ledger) -> None:
    a = store(ledger)
    made = []
    for i in range(3):
        made.append(a.create("alice", f"token-{i}", EPOCH + timedelta(seconds=i)))
    a.get(made[0].id, EPOCH + timedelta(minutes=2))  # the first is used again: now the freshest
    a.create("alice", "token-3", EPOCH + timedelta(minutes=3))
    assert len(a) == 3
    assert a.get(made[1].id, EPOCH + timedelta(minutes=3)) is None
    assert a.get(made[0].id, EPOCH + timedelta(minutes=3)) is not None


def test_two_stores_share_sessions_only_with_the_same_secret(ledger: Ledger) -> None:
    a, b, stranger = store(ledger), store(ledger), store(ledger, secret="x" * 32)
    s = a.create("alice", "afd_secret_token", EPOCH)
    cookie = a.cookie_value(s)
    sid = b.session_id(cookie)
    found = b.get(sid, EPOCH + timedelta(seconds=5))
    assert found is not None
    assert (found.token, found.identity_id, found.csrf) == ("afd_secret_token", "alice", s.csrf)
    assert stranger.session_id(cookie) is None
    b.drop(sid)
    assert a.get(s.id, EPOCH + timedelta(seconds=6)) is None


def test_expired_rows_are_swept_at_the_next_sign_in(ledger: Ledger) -> None:
    a = store(ledger, max_sessions=100)
    for i in range(5):
        a.create("alice", f"t{i}", EPOCH)
    a.create("alice", "fresh", EPOCH + timedelta(minutes=11))
    assert len(a) == 1
