"""The log's identity: its signing key, bound to the database on first use.

A new database records the key's origin and verifier key in
``affidavit_meta``. From then on the database only opens with that key: a
missing, foreign, corrupt or world-readable key file is refused, and so is a
database whose identity rows were removed (it is not silently re-initialised).
"""

from __future__ import annotations

from sqlalchemy import select

from affidavit.config import Settings
from affidavit.errors import ConfigError, VerificationError
from affidavit.ledger.keys import (
    LogKey,
    load_log_key,
    load_or_create_log_key,
    load_or_create_token_key,
)
from affidavit.store import Database
from affidavit.store.engine import insert_ignore
from affidavit.store.schema import ledger_entries, meta
from affidavit.store.vault import FileKEK, load_or_create_file_kek

__all__ = ["bind_log_key", "bind_token_key", "bind_vault_key"]


def _has_entries(db: Database) -> bool:
    with db.read() as conn:
        return conn.execute(select(ledger_entries.c.seq).limit(1)).first() is not None


def bind_log_key(db: Database, settings: Settings, *, create: bool = True) -> LogKey:
    """The log key of ``db``; on a new database, create or adopt one and record it."""
    with db.read() as conn:
        stored = dict(conn.execute(select(meta.c.key, meta.c.value)).all())
    expected = stored.get("log_verifier_key")
    if expected is not None:
        key = load_log_key(settings.log_key_path)
        if key.verifier_key != expected:
            raise ConfigError(
                f"log signing key {settings.log_key_path} is not this database's key "
                f"(database expects {expected})"
            )
        return key
    if "log_origin" in stored or _has_entries(db):
        raise VerificationError(
            "affidavit_meta has lost this ledger's log_verifier_key; refusing to open "
            "(restore it from a backup; run `affidavit ledger verify --key ...`)"
        )
    if not create:
        raise ConfigError("this database has no ledger yet")
    settings.ensure_home()
    key = load_or_create_log_key(settings.log_key_path)
    with db.write() as conn:
        insert_ignore(conn, meta, {"key": "log_origin", "value": key.origin})
        insert_ignore(conn, meta, {"key": "log_verifier_key", "value": key.verifier_key})
        winner = conn.execute(
            select(meta.c.value).where(meta.c.key == "log_verifier_key")
        ).scalar_one()
    if winner != key.verifier_key:
        raise ConfigError("another process initialised this ledger with another key")
    return key


def bind_vault_key(db: Database, settings: Settings) -> FileKEK:
    """The vault's key-encryption key; the database remembers which one it uses.

    Created only for a database that has none yet: a missing key of an existing
    database is an error, not a reason to make a new one beside it.
    """
    with db.read() as conn:
        expected = conn.execute(select(meta.c.value).where(meta.c.key == "vault_kek_id")).scalar()
    if expected is not None and not settings.vault_key_path.exists():
        raise ConfigError(
            f"vault key {settings.vault_key_path} is missing; this database's payloads are "
            f"sealed with vault key id {expected}: restore its vault.key"
        )
    settings.ensure_home()
    kek = load_or_create_file_kek(settings.vault_key_path)
    if expected is None:
        with db.write() as conn:
            insert_ignore(conn, meta, {"key": "vault_kek_id", "value": kek.key_id})
            expected = conn.execute(
                select(meta.c.value).where(meta.c.key == "vault_kek_id")
            ).scalar_one()
    if expected != kek.key_id:
        raise ConfigError(
            f"vault key {settings.vault_key_path} is not this database's vault key "
            f"(database expects key id {expected}); restore the right vault.key"
        )
    return kek


def bind_token_key(settings: Settings) -> bytes:
    """The secret that keys identity-token hashes; created on the service's first use."""
    settings.ensure_home()
    return load_or_create_token_key(settings.token_key_path)
