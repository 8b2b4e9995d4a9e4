"""Webhook signatures: HMAC-SHA256 over ``timestamp + "." + body``.

The sender puts the unix time in ``X-Affidavit-Timestamp`` and
``sha256=<hex>`` in ``X-Affidavit-Signature``. Signing the timestamp with the
body lets a receiver refuse replays of an old request; receivers check both
with :func:`verify_webhook_signature`.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from affidavit.errors import InputError, VerificationError

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "sign_webhook",
    "verify_webhook_signature",
]

TIMESTAMP_HEADER = "X-Affidavit-Timestamp"
SIGNATURE_HEADER = "X-Affidavit-Signature"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"sha256=([0-9a-f]{64})")


def _key(secret: str | bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    if not isinstance(key, bytes) or not key:
        raise InputError("a webhook secret must be a non-empty string or bytes.")
    return key


def _mac(key: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(key, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def sign_webhook(secret: str | bytes, timestamp: int, body: bytes) -> str:
    """The ``X-Affidavit-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    if type(timestamp) is not int or timestamp < 0:
        raise InputError(f"a webhook timestamp must be a non-negative integer, not {timestamp!r}.")
    return "sha256=" + _mac(_key(secret), str(timestamp), body)


def verify_webhook_signature(
    secret: str | bytes,
    timestamp: str | int,
    body: bytes,
    header: str,
    *,
    now: float,
    tolerance_s: float = 300,
) -> None:
    """Check a received webhook; raise VerificationError unless it is authentic and fresh.

    ``timestamp`` is the ``X-Affidavit-Timestamp`` header as received, ``header``
    the ``X-Affidavit-Signature`` header, ``now`` the receiver's unix time. A
    timestamp further than ``tolerance_s`` from ``now`` (either way) is refused.
    """
    text = str(timestamp) if type(timestamp) is int else timestamp
    if not isinstance(text, str) or _TIMESTAMP.fullmatch(text) is None:
        raise VerificationError("the webhook timestamp is not a unix time in whole seconds.")
    if not isinstance(header, str):
        raise VerificationError("the webhook signature header is missing.")
    match = _SIGNATURE.fullmatch(header.strip())
    if match is None:
        raise VerificationError("the webhook signature header is not of the form sha256=<64 hex>.")
    if abs(now - int(text)) > tolerance_s:
        raise VerificationError(
            f"the webhook timestamp is {abs(now - int(text)):.0f} s from now; "
            f"the tolerance is {tolerance_s:g} s (a replay or a wrong clock)."
        )
    if not hmac.compare_digest(_mac(_key(secret), text, body), match.group(1)):
        raise VerificationError("the webhook signature does not match the body and timestamp.")
