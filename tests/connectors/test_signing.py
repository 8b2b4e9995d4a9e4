"""Webhook signatures: HMAC-SHA256 over timestamp "." body, checked with a freshness window."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affidavit.connectors import sign_webhook, verify_webhook_signature
from affidavit.errors import InputError, VerificationError

SECRET = "s3cret-for-tests-0123456789"
NOW = 1_800_000_000


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"action":"isolate_host"}'
    expected = hmac.new(SECRET.encode(), b"1800000000." + body, hashlib.sha256).hexdigest()
    assert sign_webhook(SECRET, NOW, body) == f"sha256={expected}"


@given(
    secret=st.binary(min_size=1, max_size=64),
    timestamp=st.integers(min_value=0, max_value=10**11),
    body=st.binary(max_size=256),
)
def test_every_signature_verifies_at_its_own_time(
    secret: bytes, timestamp: int, body: bytes
) -> None:
    header = sign_webhook(secret, timestamp, body)
    verify_webhook_signature(secret, str(timestamp), body, header, now=timestamp)
    verify_webhook_signature(secret, timestamp, body, header, now=timestamp + 300)


@given(body=st.binary(min_size=1, max_size=128), data=st.data())
def test_any_changed_body_byte_fails(body: bytes, data: st.DataObject) -> None:
    header = sign_webhook(SECRET, NOW, body)
    index = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    flip = data.draw(st.integers(min_value=1, max_value=255))
    tampered = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    with pytest.raises(VerificationError, match="does not match"):
        verify_webhook_signature(SECRET, NOW, tampered, header, now=NOW)


def test_wrong_secret_or_shifted_timestamp_fails() -> None:
    body = b"{}"
    header = sign_webhook(SECRET, NOW, body)
    with pytest.raises(VerificationError, match="does not match"):
        verify_webhook_signature("another-secret-entirely", NOW, body, header, now=NOW)
    with pytest.raises(VerificationError, match="does not match"):
        verify_webhook_signature(SECRET, NOW + 1, body, header, now=NOW)


@pytest.mark.parametrize("skew", [-301, 301, 10**6])
def test_stale_or_future_timestamps_are_refused(skew: int) -> None:
    header = sign_webhook(SECRET, NOW, b"{}")
    with pytest.raises(VerificationError, match="tolerance"):
        verify_webhook_signature(SECRET, NOW, b"{}", header, now=NOW + skew)


def test_tolerance_is_configurable() -> None:
    header = sign_webhook(SECRET, NOW, b"{}")
    verify_webhook_signature(SECRET, NOW, b"{}", header, now=NOW + 3000, tolerance_s=3600)
    with pytest.raises(VerificationError):
        verify_webhook_signature(SECRET, NOW, b"{}", header, now=NOW + 30, tolerance_s=10)


@pytest.mark.parametrize(
    ("timestamp", "header", "message"),
    [
        ("", "sha256=" + "0" * 64, "timestamp"),
        ("-5", "sha256=" + "0" * 64, "timestamp"),
        ("1.5", "sha256=" + "0" * 64, "timestamp"),
        (" 1800000000", "sha256=" + "0" * 64, "timestamp"),
        (str(NOW), "", "form"),
        (str(NOW), "sha1=" + "0" * 40, "form"),
        (str(NOW), "sha256=" + "0" * 63, "form"),
        (str(NOW), "sha256=" + "G" * 64, "form"),
    ],
)
def test_malformed_headers_are_refused(timestamp: str, header: str, message: str) -> None:
    with pytest.raises(VerificationError, match=message):
        verify_webhook_signature(SECRET, timestamp, b"{}", header, now=NOW)


def test_signing_refuses_an_empty_secret_or_odd_timestamp() -> None:
    with pytest.raises(InputError):
        sign_webhook("", NOW, b"{}")
    with pytest.raises(InputError):
        sign_webhook(SECRET, -1, b"{}")
