"""Tokens: keyed and deterministic, typed, reversible only through the store, sealed at rest."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, inspect, select, update

import affidavit.store
from affidavit.config import load_settings
from affidavit.errors import ConfigError, Conflict, InputError, NotFound, VerificationError
from affidavit.ledger.log import Ledger
from affidavit.protect import (
    MemoryTokenStore,
    SqlTokenStore,
    Tokenizer,
    TokenRecord,
    find_tokens,
)
from affidavit.protect._tables import protect_tokens
from affidavit.protect.tokens import TOKEN_PATTERN
from affidavit.store import metadata

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
MIGRATION = Path(affidavit.store.__file__).parent / "migrations" / "versions" / "0005_tokens.py"


def _hmac_hex(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, kind.encode() + b"\x00" + value.encode(), hashlib.sha256).hexdigest()


def test_a_token_is_the_typed_truncated_hmac_of_kind_and_value() -> None:
    tokenizer = Tokenizer(KEY, MemoryTokenStore())
    token = tokenizer.token("pii", "email", "bob@corp.local")
    assert token == f"[PII:email:tok_{_hmac_hex(KEY, 'email', 'bob@corp.local')[:16]}]"
    assert TOKEN_PATTERN.fullmatch(token)
    assert tokenizer.token(
        "internal_identifier", "hostname_internal", "db01.corp.local"
    ).startswith("[INTERNAL_IDENTIFIER:hostname_internal:tok_")


@settings(max_examples=60, deadline=None)
@given(value=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=80))
def test_tokens_are_deterministic_per_key_and_differ_across_keys(value: str) -> None:
    one = Tokenizer(KEY, MemoryTokenStore())
    again = Tokenizer(KEY, MemoryTokenStore())
    other = Tokenizer(OTHER_KEY, MemoryTokenStore())
    token = one.token("pii", "email", value)
    assert again.token("pii", "email", value) == token
    assert other.token("pii", "email", value) != token
    assert one.token("pii", "phone", value) != token  # the kind is part of the MAC
    assert one.token("pii", "email", value + " ") != token


def test_distinct_values_get_distinct_tokens() -> None:
    tokenizer = Tokenizer(KEY, MemoryTokenStore())
    tokens = {tokenizer.token("pii", "email", f"user{i}@corp.local") for i in range(5000)}
    assert len(tokens) == 5000


def test_memory_store_round_trip_and_audit_free_detokenize() -> None:
    tokenizer = Tokenizer(KEY, MemoryTokenStore())
    token = tokenizer.tokenize("pii", "email", "bob@corp.local")
    assert tokenizer.detokenize(token) == "bob@corp.local"
    text = f"user {token} and {token} and [PII:email]"
    assert find_tokens(text) == [token, token]


def test_a_token_not_saved_cannot_be_reversed() -> None:
    tokenizer = Tokenizer(KEY, MemoryTokenStore())
    token = tokenizer.token("pii", "email", "bob@corp.local")
    with pytest.raises(NotFound, match="no original is stored"):
        tokenizer.detokenize(token)


@pytest.mark.parametrize(
    "bad", ["bob", "[PII:email:tok_123]", "[pii:email:tok_0123456789abcdef]", 7, None]
)
def test_detokenize_refuses_what_is_not_a_token(bad: object) -> None:
    with pytest.raises(InputError):
        Tokenizer(KEY, MemoryTokenStore()).detokenize(bad)  # type: ignore[arg-type]


def test_detokenize_under_another_key_is_refused() -> None:
    store = MemoryTokenStore()
    token = Tokenizer(KEY, store).tokenize("pii", "email", "bob@corp.local")
    with pytest.raises(VerificationError, match="altered or the key changed"):
        Tokenizer(OTHER_KEY, store).detokenize(token)


def test_a_tampered_store_is_detected() -> None:
    store = MemoryTokenStore()
    tokenizer = Tokenizer(KEY, store)
    token = tokenizer.token("pii", "email", "bob@corp.local")
    store.put([TokenRecord(token, "email", "mallory@corp.local")])  # a forged original
    with pytest.raises(VerificationError):
        tokenizer.detokenize(token)


def test_a_store_refuses_a_second_value_for_a_token() -> None:
    store = MemoryTokenStore()
    token = Tokenizer(KEY, store).tokenize("pii", "email", "bob@corp.local")
    store.put([TokenRecord(token, "email", "bob@corp.local")])  # idempotent
    with pytest.raises(Conflict, match="collision"):
        store.put([TokenRecord(token, "email", "eve@corp.local")])


@pytest.mark.parametrize("key", [b"short", b"x" * 33, "x" * 32, None])
def test_the_key_is_32_bytes(key: object) -> None:
    with pytest.raises(ConfigError, match="32 bytes"):
        Tokenizer(key, MemoryTokenStore())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data_class", "kind", "value", "message"),
    [
        ("pii", "email", "", "non-empty string"),
        ("pii", "email", b"bob", "non-empty string"),
        ("pii", "email", "bob\ud800", "unpaired surrogates"),
        ("pii", "E-mail", "bob", "lower-case identifier"),
        ("PII", "email", "bob", "lower-case name"),
    ],
)
def test_bad_values_are_refused(data_class: str, kind: str, value: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        Tokenizer(KEY, MemoryTokenStore()).token(data_class, kind, value)  # type: ignore[arg-type]


def test_nothing_secret_in_reprs() -> None:
    tokenizer = Tokenizer(KEY, MemoryTokenStore())
    record = TokenRecord(
        tokenizer.token("pii", "email", "bob@corp.local"), "email", "bob@corp.local"
    )
    assert "bob@corp.local" not in repr(record)
    assert KEY.hex() not in repr(tokenizer) and repr(KEY) not in repr(tokenizer)


def test_erasing_forgets_the_original_and_a_returning_value_is_stored_again() -> None:
    tokenizer = Tokenizer(KEY, MemoryTokenStore())
    token = tokenizer.tokenize("pii", "email", "bob@corp.local")
    assert tokenizer.erase([token]) == 1
    with pytest.raises(NotFound):
        tokenizer.detokenize(token)
    assert tokenizer.erase([token]) == 0
    assert tokenizer.tokenize("pii", "email", "bob@corp.local") == token
    assert tokenizer.detokenize(token) == "bob@corp.local"


# ---- the SQL store -----------------------------------------------------------


@pytest.fixture
def sql_tokenizer(ledger: Ledger) -> Tokenizer:
    return Tokenizer(KEY, SqlTokenStore(ledger.db, ledger.vault))


def test_sql_round_trip(sql_tokenizer: Tokenizer) -> None:
    values = ["bob@corp.local", "Zoë Müller <zoe@corp.local> 🔑", "x"]
    tokens = [sql_tokenizer.tokenize("pii", "email", v) for v in values]
    fresh = Tokenizer(KEY, sql_tokenizer.store)  # another process: nothing remembered
    assert [fresh.detokenize(t) for t in tokens] == values
    fresh.save([TokenRecord(tokens[0], "email", values[0])])  # stored already: a no-op


def test_sql_rows_hold_no_plaintext_and_no_guessable_hash(
    ledger: Ledger, sql_tokenizer: Tokenizer
) -> None:
    token = sql_tokenizer.tokenize("pii", "us_ssn", "291-73-7060")
    with ledger.db.read() as conn:
        row = conn.execute(select(protect_tokens)).one()
    assert row.token == token
    assert row.kind == "us_ssn"
    assert b"291-73-7060" not in bytes(row.data)
    assert row.sha256 != hashlib.sha256(b"291-73-7060").hexdigest()  # salted envelope
    assert row.kek_id == ledger.vault.kek.key_id
    assert row.created_at.endswith("Z")


def test_sql_database_files_hold_no_planted_value(home: Path) -> None:
    # SQLite only: the search reads the database files (main, WAL) byte by byte.
    settings = load_settings(
        {
            "AFFIDAVIT_HOME": str(home),
            "AFFIDAVIT_DATABASE_URL": f"sqlite:///{home / 'affidavit.db'}",
            "AFFIDAVIT_CHECKPOINT_INTERVAL": "0",
        }
    )
    planted = ["planted.person.7731@corp.local", "4929-1234-5678-9012-planted"]
    with Ledger.open(settings) as ledger:
        tokenizer = Tokenizer(KEY, SqlTokenStore(ledger.db, ledger.vault))
        tokens = [tokenizer.tokenize("pii", "email", value) for value in planted]
        raw = b"".join(p.read_bytes() for p in home.glob("affidavit.db*"))
        assert tokens[0].encode() in raw  # the rows were written where we search
        for value in planted:
            assert value.encode() not in raw


def test_sql_store_refuses_a_second_value_for_a_token(
    ledger: Ledger, sql_tokenizer: Tokenizer
) -> None:
    token = sql_tokenizer.tokenize("pii", "email", "bob@corp.local")
    with pytest.raises(Conflict, match="collision"):
        sql_tokenizer.store.put([TokenRecord(token, "email", "eve@corp.local")])
    with pytest.raises(Conflict):
        sql_tokenizer.store.put(
            [TokenRecord(token, "email", "bob@corp.local"), TokenRecord(token, "email", "x")]
        )


def test_sql_detects_a_sealed_original_moved_to_another_token(
    ledger: Ledger, sql_tokenizer: Tokenizer
) -> None:
    bob = sql_tokenizer.tokenize("pii", "email", "bob@corp.local")
    eve = sql_tokenizer.tokenize("pii", "email", "eve@corp.local")
    with ledger.db.read() as conn:
        sealed = conn.execute(select(protect_tokens).where(protect_tokens.c.token == eve)).one()
    with ledger.db.write() as conn:
        conn.execute(
            update(protect_tokens)
            .where(protect_tokens.c.token == bob)
            .values(sha256=sealed.sha256, data=sealed.data, wrapped_key=sealed.wrapped_key)
        )
    with pytest.raises(VerificationError, match="belongs to another token"):
        sql_tokenizer.detokenize(bob)


def test_sql_detects_altered_ciphertext(ledger: Ledger, sql_tokenizer: Tokenizer) -> None:
    token = sql_tokenizer.tokenize("pii", "email", "bob@corp.local")
    with ledger.db.read() as conn:
        data = bytes(conn.execute(select(protect_tokens.c.data)).scalar_one())
    with ledger.db.write() as conn:
        flipped = data[:-1] + bytes([data[-1] ^ 1])
        conn.execute(update(protect_tokens).values(data=flipped))
    with pytest.raises(VerificationError):
        sql_tokenizer.detokenize(token)


def test_sql_erase(ledger: Ledger, sql_tokenizer: Tokenizer) -> None:
    tokens = [sql_tokenizer.tokenize("pii", "email", f"u{i}@corp.local") for i in range(3)]
    assert sql_tokenizer.erase(tokens[:2] + tokens[:1]) == 2
    for token in tokens[:2]:
        with pytest.raises(NotFound):
            sql_tokenizer.detokenize(token)
    assert sql_tokenizer.detokenize(tokens[2]) == "u2@corp.local"


def test_sql_many_tokens_in_one_call(ledger: Ledger) -> None:
    store = SqlTokenStore(ledger.db, ledger.vault)
    tokenizer = Tokenizer(KEY, store)
    records = [
        TokenRecord(
            tokenizer.token("pii", "email", f"user{i}@corp.local"), "email", f"user{i}@corp.local"
        )
        for i in range(1200)
    ]
    store.put(records[:700])
    store.put(records)  # 700 known, 500 new, across several IN (...) chunks
    with ledger.db.read() as conn:
        assert conn.execute(select(protect_tokens.c.token)).all().__len__() == 1200
    assert tokenizer.detokenize(records[1199].token) == "user1199@corp.local"


@pytest.mark.parametrize(
    "bad", [TokenRecord("[PII:email:tok_0123456789abcdef]", "phone", "x"), "token"]
)
def test_stores_refuse_bad_records(ledger: Ledger, bad: Any) -> None:
    for store in (MemoryTokenStore(), SqlTokenStore(ledger.db, ledger.vault)):
        with pytest.raises(InputError):
            store.put([bad])
        with pytest.raises(InputError):
            store.get("not a token")


# ---- the migration -------------------------------------------------------------


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("affidavit_migration_0005", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _differences(conn: Connection) -> list[Any]:
    def ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if type_ == "table" else obj.table
        return bool(table.name == "protect_tokens")

    context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": ours})
    return list(compare_metadata(context, metadata))


def test_the_migration_follows_0004() -> None:
    module = _migration()
    assert (module.revision, module.down_revision) == ("0005", "0004")


def test_migrated_schema_matches_the_table_and_downgrade_removes_it(ledger: Ledger) -> None:
    db = ledger.db
    with db.read() as conn:
        assert "protect_tokens" in inspect(conn).get_table_names()
        assert _differences(conn) == []
    module = _migration()
    with db.write() as conn, Operations.context(MigrationContext.configure(conn)):
        module.downgrade()
    with db.read() as conn:
        assert "protect_tokens" not in inspect(conn).get_table_names()
    with db.write() as conn, Operations.context(MigrationContext.configure(conn)):
        module.upgrade()
    with db.read() as conn:
        assert _differences(conn) == []
