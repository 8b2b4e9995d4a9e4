"""``Idempotency-Key`` on creates: a retry returns the stored response, never a second entry.

The first request with a key reserves it (identity, key, SHA-256 of method,
path and body) before it runs; a success stores its status and body. A retry
with the same key and request gets the stored response (header
``Idempotent-Replayed: true``); with another request, or while the first still
runs, 409. A request that fails wrote nothing (every Governor command is one
transaction), so its reservation is released and the client may retry. Records are
written without a disk sync of their own (see ``_writes.py``): the ledger's commit
of the create makes its reservation durable.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from affidavit.api._tables import idempotency
from affidavit.api._writes import service_write
from affidavit.clock import Clock, iso
from affidavit.errors import Conflict, InputError
from affidavit.store import Database

__all__ = ["HEADER", "IdempotencyStore", "Stored", "check_key", "request_digest"]

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@dataclass(frozen=True)
class Stored:
    status: int
    body: bytes


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise InputError(f"{HEADER} must be 1-128 letters, digits and . _ : -")
    return key


def request_digest(method: str, path: str, body: bytes) -> str:
    h = hashlib.sha256(method.encode() + b" " + path.encode() + b"\n")
    h.update(body)
    return h.hexdigest()


class IdempotencyStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def begin(self, identity_id: str, key: str, digest: str) -> Stored | None:
        """None: the key is now reserved for this request. Stored: replay it."""
        t = idempotency
        row = {
            "identity_id": identity_id,
            "key": key,
            "request_sha256": digest,
            "status": None,
            "response": None,
            "created_at": iso(self.clock()),
        }
        with service_write(self.db) as conn:
            dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
            insert = dialect.insert(t).values(**row).on_conflict_do_nothing().returning(t.c.key)
            if conn.execute(insert).first() is not None:
                return None  # reserved for this request
            found = conn.execute(
                select(t.c.request_sha256, t.c.status, t.c.response).where(
                    t.c.identity_id == identity_id, t.c.key == key
                )
            ).one()
        if found.request_sha256 != digest:
            raise Conflict(f"this {HEADER} was used for a different request")
        if found.status is None:
            raise Conflict(f"a request with this {HEADER} is still in progress; retry later")
        return Stored(int(found.status), bytes(found.response))

    def finish(self, identity_id: str, key: str, status: int, body: bytes) -> None:
        t = idempotency
        with service_write(self.db) as conn:
            conn.execute(
                update(t)
                .where(and_(t.c.identity_id == identity_id, t.c.key == key))
                .values(status=status, response=body)
            )

    def release(self, identity_id: str, key: str) -> None:
        t = idempotency
        with service_write(self.db) as conn:
            conn.execute(
                delete(t).where(
                    t.c.identity_id == identity_id, t.c.key == key, t.c.status.is_(None)
                )
            )
