"""Token hashes are keyed with token.key, kept beside the log's keys and not in the database."""

from __future__ import annotations

import hashlib
import stat

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from tests.governance.conftest import Cast

from affidavit.config import Settings
from affidavit.errors import AuthError
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity, new_token


def _plant(url: str, identity: str, token_hash: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tokens (token_hash, identity_id, created_at, expires_at) "
                "VALUES (:h, :i, '2026-01-01T00:00:00.000000Z', '2099-01-01T00:00:00.000000Z')"
            ),
            {"h": token_hash, "i": identity},
        )
    engine.dispose()


def test_a_token_row_planted_in_the_database_does_not_authenticate(
    gov: Governor, cast: Cast, settings: Settings
) -> None:
    """Before: tokens were stored as sha256(token), so anyone who could write the
    database could mint a token for any identity by inserting sha256 of their own."""
    assert gov.authenticate(cast.alice).id == "alice"
    forged = new_token()
    _plant(settings.database_url, "alice", hashlib.sha256(forged.encode()).hexdigest())
    with pytest.raises(AuthError, match="invalid token"):
        gov.authenticate(forged)


def test_the_token_key_is_private_stable_and_keys_every_hash(
    gov: Governor, cast: Cast, settings: Settings
) -> None:
    path = settings.token_key_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_bytes()
    again = Governor(gov.ledger, settings, connectors=gov.connectors, clock=gov.clock)
    assert path.read_bytes() == key  # reused, not replaced
    assert again.authenticate(cast.bob).id == "bob"
    engine = create_engine(settings.database_url, poolclass=NullPool)
    with engine.connect() as conn:
        stored = {r[0] for r in conn.execute(text("SELECT token_hash FROM tokens"))}
    engine.dispose()
    assert hashlib.sha256(cast.bob.encode()).hexdigest() not in stored
    # Another token key (a database moved to another home without its token.key):
    # every token stops working rather than being accepted by a guess.
    path.unlink()
    other = Governor(gov.ledger, settings, connectors=gov.connectors, clock=gov.clock)
    with pytest.raises(AuthError, match="invalid token"):
        other.authenticate(cast.bob)
    _, token = other.add_identity(Identity(id="erin", kind="human", roles=("analyst",)))
    assert other.authenticate(token).id == "erin"
