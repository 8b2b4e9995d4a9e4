"""Sessions shared through the database: two consoles (two apps, each its own Governor and
Ledger, as two worker processes have) on one database and one AFFIDAVIT_HOME."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from affidavit.api import ApiSettings, create_app
from affidavit.clock import iso
from affidavit.config import Settings
from affidavit.errors import VerificationError
from affidavit.governance.governor import Governor
from affidavit.ledger.log import Ledger
from affidavit.store.vault import FileKEK, Vault
from tests.api.conftest import serve_in_thread
from tests.conftest import run_sql
from tests.web.conftest import Site, console_settings, friction_rules

HTML = {"accept": "text/html"}
COOKIE = "afd_console"


@pytest.fixture
def other(site: Site, settings: Settings) -> Iterator[Site]:
    """A second console on the same database and home: another worker process."""
    with Ledger.open(settings) as ledger:
        gov = Governor(ledger, settings, clock=site.clock, friction=friction_rules())
        app = create_app(gov, ApiSettings(rate_per_s=0), console=console_settings())
        url, server, thread = serve_in_thread(app)
        found = Site(url, gov, site.clock, site.tokens, site.scenario, app)
        try:
            yield found
        finally:
            for c in found.clients:
                c.close()
            server.should_exit = True
            thread.join(timeout=10)


def on(target: Site, signed_in: httpx.Client) -> httpx.Client:
    """A client of ``target`` carrying the cookie ``signed_in`` got elsewhere."""
    c = target.client()
    c.cookies.set(COOKIE, signed_in.cookies.get(COOKIE) or "", path="/console")
    return c


def rows(url: str) -> list[dict[str, object]]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            result = conn.execute(text("SELECT * FROM console_sessions"))
            return [dict(r._mapping) for r in result]
    finally:
        engine.dispose()


def status(c: httpx.Client) -> int:
    return c.get("/console/queue", headers=HTML).status_code


def test_a_session_from_one_worker_works_on_the_other(site: Site, other: Site) -> None:
    a = site.login("approver")
    b = on(other, a)
    page = b.get("/console/queue")
    assert page.status_code == 200
    assert "alice" in page.text
    # The CSRF token is the same on both: a form from one worker posts to the other.
    assert site.csrf(a) == other.csrf(b)


def test_logout_on_one_worker_ends_the_session_on_the_other(site: Site, other: Site) -> None:
    a = site.login("approver")
    b = on(other, a)
    assert status(b) == 200
    r = b.post("/console/logout", data={"csrf_token": other.csrf(b)})
    assert r.status_code == 303
    assert status(a) == 303
    assert status(on(other, a)) == 303


def test_idle_and_expired_sessions_are_refused_on_both(site: Site, other: Site) -> None:
    idle = site.login("approver")
    site.clock.advance(minutes=31)
    assert status(on(other, idle)) == 303
    assert status(idle) == 303

    # Use on either worker keeps a session alive for both...
    signed_in_at = site.clock.now
    kept = site.login("approver2")
    for i in range(23):  # 7 h 40 min in steps of 20 min, alternating between the workers
        site.clock.advance(minutes=20)
        assert status(on(other, kept) if i % 2 else kept) == 200, i
    # ...until the session's lifetime ends (8 hours), whatever the activity.
    site.clock.now = signed_in_at + timedelta(hours=8)
    assert status(on(other, kept)) == 303
    assert status(kept) == 303


def test_last_seen_is_written_at_most_once_a_minute(
    site: Site, other: Site, database_url: str
) -> None:
    a = site.login("approver")
    (first,) = rows(database_url)
    site.clock.advance(seconds=30)
    assert status(a) == 200
    assert status(on(other, a)) == 200
    (row,) = rows(database_url)
    assert row["last_seen_at"] == first["last_seen_at"]
    site.clock.advance(seconds=31)
    assert status(on(other, a)) == 200
    (row,) = rows(database_url)
    assert row["last_seen_at"] > first["last_seen_at"]  # type: ignore[operator]


def test_a_copied_row_reveals_no_token_without_the_vault_key(site: Site, database_url: str) -> None:
    a = site.login("approver")
    token = site.tokens["approver"].encode()
    sid = (a.cookies.get(COOKIE) or "").rpartition(".")[0]
    (row,) = rows(database_url)
    dump = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row.values())
    assert token not in dump
    assert sid.encode() not in dump  # only its SHA-256 is the key
    assert row["key"] == hashlib.sha256(sid.encode()).hexdigest()
    assert hashlib.sha256(token).hexdigest().encode() not in dump
    stranger = Vault(FileKEK(os.urandom(32)))
    with pytest.raises(VerificationError):
        stranger.open(
            str(row["sha256"]),
            bytes(row["data"]),  # type: ignore[arg-type]
            bytes(row["wrapped_key"]),  # type: ignore[arg-type]
            str(row["kek_id"]),
        )


def test_planted_rows_do_not_authenticate(site: Site, other: Site, database_url: str) -> None:
    """Someone with the database but not the cookie secret: no row they write is reachable,
    and rows they change stop opening (the sealed token is bound to its row)."""
    alice = site.login("approver")
    dave = site.login("analyst")
    alice_key = hashlib.sha256(
        (alice.cookies.get(COOKIE) or "").rpartition(".")[0].encode()
    ).hexdigest()
    dave_sid = (dave.cookies.get(COOKIE) or "").rpartition(".")[0]
    dave_key = hashlib.sha256(dave_sid.encode()).hexdigest()

    # A planted row for an id of their choosing: the cookie cannot be signed without the secret.
    chosen = "planted-session-id"
    run_sql(
        database_url,
        "INSERT INTO console_sessions (key, identity_id, sha256, data, wrapped_key, kek_id,"
        " created_at, last_seen_at) SELECT :key, identity_id, sha256, data, wrapped_key, kek_id,"
        " created_at, last_seen_at FROM console_sessions WHERE key = :alice",
        params={"key": hashlib.sha256(chosen.encode()).hexdigest(), "alice": alice_key},
    )
    for target in (site, other):
        forged = target.client()
        forged.cookies.set(COOKIE, f"{chosen}.{'0' * 64}", path="/console")
        assert status(forged) == 303
        unsigned = target.client()
        unsigned.cookies.set(COOKIE, chosen, path="/console")
        assert status(unsigned) == 303

    # dave (with database access and his own valid cookie) moves alice's sealed token into
    # his row: it does not open there, so he does not become alice.
    run_sql(
        database_url,
        "UPDATE console_sessions SET (identity_id, sha256, data, wrapped_key, kek_id) ="
        " (SELECT identity_id, sha256, data, wrapped_key, kek_id FROM console_sessions"
        "  WHERE key = :alice) WHERE key = :dave",
        params={"alice": alice_key, "dave": dave_key},
    )
    assert status(on(other, dave)) == 303
    assert status(dave) == 303
    assert status(alice) == 200


def test_a_row_with_its_lifetime_pushed_back_does_not_open(
    site: Site, other: Site, database_url: str
) -> None:
    a = site.login("approver")
    site.clock.advance(hours=7, minutes=50)
    later = iso(site.clock.now)
    run_sql(
        database_url,
        "UPDATE console_sessions SET created_at = :t, last_seen_at = :t",
        params={"t": later},
    )
    assert status(on(other, a)) == 303
