"""Tokens for the tokenize treatment: keyed, deterministic, typed, reversible only by lookup.

A token looks like ``[PII:email:tok_3f2a9c1b0d4e5f67]``: the data class in capitals,
the kind, and the first 16 hex digits (64 bits) of
``HMAC-SHA256(key, kind || 0x00 || UTF-8 value)``. The same value of the same kind
gives the same token under the same key, so a model can tell that two alerts
name the same user without seeing who; a different key gives unrelated tokens,
and without the key a token reveals nothing about its value. 64 bits keep an
accidental collision unlikely (about 1 in 36 million for a million distinct values
of one kind); a store refuses one (Conflict) rather than map a token to two values.

The key is 32 bytes the caller derives from a secret it holds (the governance
layer derives it from the vault's key). Originals are kept in a :class:`TokenStore`:
:class:`MemoryTokenStore` for tests, :class:`SqlTokenStore` for the database, where
each original is sealed by the evidence vault (no plaintext at rest).

:meth:`Tokenizer.detokenize` is a plain lookup with an integrity check. Deciding
*who* may reverse a token (a person with the right role), and ledgering that they
did, is the governance layer's job: call it only from there.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from affidavit._lru import LRU
from affidavit.clock import Clock, iso, system_clock
from affidavit.errors import ConfigError, Conflict, InputError, NotFound, VerificationError

if TYPE_CHECKING:
    from sqlalchemy import Connection, Row

    from affidavit.store import Database
    from affidavit.store.vault import Vault

__all__ = [
    "TOKEN_PATTERN",
    "MemoryTokenStore",
    "SqlTokenStore",
    "TokenRecord",
    "TokenStore",
    "Tokenizer",
    "find_tokens",
]

TOKEN_HEX_DIGITS = 16
TOKEN_PATTERN = re.compile(
    r"\[(?P<data_class>[A-Z][A-Z_]{0,31}):(?P<kind>[a-z][a-z0-9_]{0,63}):tok_(?P<digest>[0-9a-f]{16})\]"
)
_CLASS = re.compile(r"[a-z][a-z_]{0,31}")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,63}")
_ENVELOPE = b"affidavit-token-v1\n"
_SALT = 16
_CHUNK = 500  # tokens per IN (...) query


@dataclass(frozen=True)
class TokenRecord:
    """A token and the value it stands for (kept out of ``repr``, so logs never show it)."""

    token: str
    kind: str
    value: str = field(repr=False)


class TokenStore(Protocol):
    """Where originals are kept. ``put`` is idempotent per (token, value)."""

    def put(self, records: Sequence[TokenRecord]) -> None:
        """Store records; Conflict if a token is already stored for a different value."""

    def get(self, token: str) -> TokenRecord:
        """The record of ``token``; NotFound if it is unknown or erased."""

    def erase(self, tokens: Sequence[str]) -> int:
        """Forget tokens (a data-subject request); returns how many were stored."""


class Tokenizer:
    """Makes tokens under one key and keeps their originals in ``store``. Thread-safe."""

    def __init__(self, key: bytes, store: TokenStore, *, remember: int = 65536) -> None:
        if not isinstance(key, bytes) or len(key) != 32:
            raise ConfigError("a tokenizer key is 32 bytes, derived from a secret.")
        if type(remember) is not int or remember < 0:
            raise ConfigError("remember must be a whole number >= 0.")
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self.key_id = hashlib.sha256(b"affidavit-token-key" + key).hexdigest()[:16]
        self.store = store
        # Tokens this process already stored, so a repeated value costs no query.
        self._stored: LRU[str, bool] = LRU(remember)

    def __repr__(self) -> str:
        return f"Tokenizer(key_id={self.key_id!r})"

    def token(self, data_class: str, kind: str, value: str) -> str:
        """The token of ``value`` (nothing is stored: see :meth:`save`)."""
        if not isinstance(data_class, str) or _CLASS.fullmatch(data_class) is None:
            raise InputError("a token's data class must be a lower-case name such as 'pii'.")
        return f"[{data_class.upper()}:{kind}:tok_{self._digest(kind, value)}]"

    def tokenize(self, data_class: str, kind: str, value: str) -> str:
        """The token of ``value``, its original stored for :meth:`detokenize`."""
        token = self.token(data_class, kind, value)
        self.save([TokenRecord(token, kind, value)])
        return token

    def save(self, records: Iterable[TokenRecord]) -> None:
        """Store the originals of ``records`` not stored before by this tokenizer."""
        fresh = {r.token: r for r in records if not self._stored.get(r.token)}
        if not fresh:
            return
        self.store.put(list(fresh.values()))
        for token in fresh:
            self._stored.put(token, True)

    def erase(self, tokens: Sequence[str]) -> int:
        """Erase originals (a data-subject request); returns how many were stored.

        Other processes may still remember having stored these tokens and, should
        the value come back, hand out its token without storing it again (it then
        cannot be reversed) until they restart; erasure is for good anyway.
        """
        if isinstance(tokens, str):
            raise InputError("erase() takes a list of tokens.")
        for token in tokens:
            _check_token(token)
        erased = self.store.erase(tokens)
        for token in tokens:
            self._stored.put(token, False)  # stored no more: store it again if it comes back
        return erased

    def detokenize(self, token: str) -> str:
        """The original of ``token``. Not audited here: the caller checks who asks and ledgers it.

        InputError for a malformed token, NotFound for an unknown or erased one,
        VerificationError when the stored value does not produce the token under
        this key (the store was altered, or the key is not the one that made it).
        """
        match = _check_token(token)
        record = self.store.get(token)
        kind = match["kind"]
        if record.kind != kind or not hmac.compare_digest(
            self._digest(kind, record.value), match["digest"]
        ):
            raise VerificationError(
                f"the stored original of token {token} does not produce that token under "
                f"key {self.key_id}: the token store was altered or the key changed."
            )
        return record.value

    def _digest(self, kind: str, value: str) -> str:
        if not isinstance(kind, str) or _KIND.fullmatch(kind) is None:
            raise InputError("a token's kind must be a lower-case identifier such as 'email'.")
        if not isinstance(value, str) or not value:
            raise InputError("only a non-empty string can be tokenized.")
        mac = self._mac.copy()
        mac.update(kind.encode("ascii") + b"\x00" + _utf8(value))
        return mac.hexdigest()[:TOKEN_HEX_DIGITS]


def find_tokens(text: str) -> list[str]:
    """The tokens in ``text``, in order (repeats included), e.g. to detokenize a model's output."""
    if not isinstance(text, str):
        raise InputError(f"find_tokens() needs text (str), not {type(text).__name__}.")
    return [m.group(0) for m in TOKEN_PATTERN.finditer(text)]


class MemoryTokenStore:
    """Originals in a dict, for tests and short-lived tools."""

    def __init__(self) -> None:
        self._records: dict[str, TokenRecord] = {}
        self._lock = threading.Lock()

    def put(self, records: Sequence[TokenRecord]) -> None:
        for record in records:
            _check_record(record)
        with self._lock:
            for record in records:
                known = self._records.get(record.token)
                if known is not None and (known.kind, known.value) != (record.kind, record.value):
                    raise Conflict(_collision(record.token))
            for record in records:
                self._records[record.token] = record

    def get(self, token: str) -> TokenRecord:
        _check_token(token)
        with self._lock:
            record = self._records.get(token)
        if record is None:
            raise NotFound(f"no original is stored for token {token} (unknown or erased).")
        return record

    def erase(self, tokens: Sequence[str]) -> int:
        with self._lock:
            return sum(self._records.pop(token, None) is not None for token in set(tokens))


class SqlTokenStore:
    """Originals sealed by the evidence vault in ``protect_tokens`` (SQLite or PostgreSQL)."""

    def __init__(self, db: Database, vault: Vault, *, clock: Clock = system_clock) -> None:
        # Imported here so that scanning text does not load the storage stack.
        from affidavit.protect._tables import protect_tokens

        self.db = db
        self.vault = vault
        self.clock = clock
        self._table = protect_tokens

    def put(self, records: Sequence[TokenRecord]) -> None:
        unique: dict[str, TokenRecord] = {}
        for record in records:
            _check_record(record)
            first = unique.setdefault(record.token, record)
            if (first.kind, first.value) != (record.kind, record.value):
                raise Conflict(_collision(record.token))
        with self.db.read() as conn:  # the common case, every token known: no write lock
            missing = self._missing(conn, unique)
        if not missing:
            return
        now = iso(self.clock())
        rows = {record.token: self._row(record, now) for record in missing}
        with self.db.write() as conn:
            # Under the write lock no other writer can add a token between the check and the insert.
            still = self._missing(conn, {r.token: r for r in missing})
            if still:
                conn.execute(self._table.insert(), [rows[r.token] for r in still])

    def get(self, token: str) -> TokenRecord:
        _check_token(token)
        table = self._table
        with self.db.read() as conn:
            row = conn.execute(table.select().where(table.c.token == token)).first()
        if row is None:
            raise NotFound(f"no original is stored for token {token} (unknown or erased).")
        return TokenRecord(token, row.kind, self._open(token, row))

    def erase(self, tokens: Sequence[str]) -> int:
        """Delete the rows (SQLite overwrites them: ``secure_delete``); then purge the WAL."""
        wanted = sorted(set(tokens))
        erased = 0
        with self.db.write() as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                erased += conn.execute(
                    self._table.delete().where(self._table.c.token.in_(chunk))
                ).rowcount
        if erased:
            self.db.purge_freed_pages()
        return erased

    def _missing(self, conn: Connection, wanted: dict[str, TokenRecord]) -> list[TokenRecord]:
        """The records not stored yet; Conflict if a stored token holds another value."""
        table = self._table
        tokens = sorted(wanted)
        stored = set()
        for start in range(0, len(tokens), _CHUNK):
            chunk = tokens[start : start + _CHUNK]
            for row in conn.execute(table.select().where(table.c.token.in_(chunk))):
                record = wanted[row.token]
                if row.kind != record.kind or self._open(row.token, row) != record.value:
                    raise Conflict(_collision(row.token))
                stored.add(row.token)
        return [wanted[token] for token in tokens if token not in stored]

    def _row(self, record: TokenRecord, now: str) -> dict[str, object]:
        envelope = _ENVELOPE + os.urandom(_SALT) + record.token.encode("ascii") + b"\n"
        sealed = self.vault.seal(envelope + _utf8(record.value))
        return {
            "token": record.token,
            "kind": record.kind,
            "sha256": sealed.sha256,
            "data": sealed.data,
            "wrapped_key": sealed.wrapped_key,
            "kek_id": sealed.kek_id,
            "created_at": now,
        }

    def _open(self, token: str, row: Row[Any]) -> str:
        plain = self.vault.open(row.sha256, bytes(row.data), bytes(row.wrapped_key), row.kek_id)
        head = _ENVELOPE + b"\x00" * _SALT
        stamp = plain[len(head) : len(head) + len(token) + 1]
        if not plain.startswith(_ENVELOPE) or stamp != token.encode("ascii") + b"\n":
            # A sealed original moved from another row opens, but names another token.
            raise VerificationError(
                f"the stored original of token {token} belongs to another token."
            )
        return plain[len(head) + len(token) + 1 :].decode("utf-8")


def _check_token(token: object) -> re.Match[str]:
    if not isinstance(token, str):
        raise InputError(f"a token is a string, not {type(token).__name__}.")
    match = TOKEN_PATTERN.fullmatch(token)
    if match is None:
        raise InputError(
            "not a token: tokens look like [PII:email:tok_0123456789abcdef] "
            f"(the text given has {len(token)} characters)."
        )
    return match


def _check_record(record: object) -> None:
    if not isinstance(record, TokenRecord):
        raise InputError(f"a token store keeps TokenRecords, not {type(record).__name__}.")
    if _check_token(record.token)["kind"] != record.kind or not isinstance(record.value, str):
        raise InputError(f"token record {record.token} names another kind than its token.")


def _utf8(value: str) -> bytes:
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            "the value contains unpaired surrogates (not valid Unicode) and cannot be tokenized."
        ) from None


def _collision(token: str) -> str:
    return (
        f"token {token} is already stored for a different value (a 64-bit collision); "
        "rotate the tokenizer key."
    )
