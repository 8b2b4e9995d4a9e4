"""Signed alert webhooks: HMAC-SHA256 over timestamp, nonce and body, within a window.

A sender signs ``f"{timestamp}.{nonce}.".encode() + body`` with the shared
secret (``AFFIDAVIT_WEBHOOK_SECRET``) and sends ``X-Affidavit-Timestamp`` (Unix
seconds), ``X-Affidavit-Nonce`` and ``X-Affidavit-Signature: sha256=<hex>``. A
timestamp more than the window (5 minutes) from the server's clock is refused,
and so is a nonce seen before (kept in the database, so every node refuses it).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from affidavit.api._tables import webhook_nonces
from affidavit.clock import iso
from affidavit.errors import AuthError, Conflict
from affidavit.store import Database

__all__ = ["NONCE_HEADER", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "NonceStore", "sign", "verify"]

TIMESTAMP_HEADER = "X-Affidavit-Timestamp"
NONCE_HEADER = "X-Affidavit-Nonce"
SIGNATURE_HEADER = "X-Affidavit-Signature"
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,128}")


def sign(secret: str, timestamp: int, nonce: str, body: bytes) -> str:
    message = f"{timestamp}.{nonce}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    *,
    timestamp: str,
    nonce: str,
    signature: str,
    body: bytes,
    now: datetime,
    window_s: float,
) -> int:
    """The verified timestamp; AuthError for a bad signature or a stale timestamp."""
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise AuthError(f"{TIMESTAMP_HEADER} must be Unix seconds")
    if not _NONCE.fullmatch(nonce):
        raise AuthError(f"{NONCE_HEADER} must be 16-128 letters, digits, _ or -")
    sent = int(timestamp)
    if abs(now.timestamp() - sent) > window_s:
        raise AuthError("the webhook's timestamp is outside the replay window")
    expected = sign(secret, sent, nonce, body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise AuthError("the webhook signature does not match")
    return sent


class NonceStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def remember(self, nonce: str, now: datetime, window_s: float) -> None:
        """Record ``nonce``; Conflict when it was seen within the retention (2 windows)."""
        t = webhook_nonces
        with self.db.write() as conn:
            conn.execute(delete(t).where(t.c.seen_at < iso(now - timedelta(seconds=2 * window_s))))
            dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
            insert = dialect.insert(t).values(nonce=nonce, seen_at=iso(now))
            if conn.execute(insert.on_conflict_do_nothing().returning(t.c.nonce)).first() is None:
                raise Conflict("this webhook delivery was already received (nonce replayed)")
