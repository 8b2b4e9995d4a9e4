"""The evidence vault: payloads sealed at rest, bound to their hash, and crypto-shredded."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affidavit.errors import ConfigError, VerificationError
from affidavit.store.vault import FileKEK, Vault, load_or_create_file_kek


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault(load_or_create_file_kek(tmp_path / "vault.key"))


@given(plaintext=st.binary(max_size=4096))
def test_seal_open_round_trip(plaintext: bytes) -> None:
    v = Vault(FileKEK(b"k" * 32))
    sealed = v.seal(plaintext)
    assert plaintext == v.open(sealed.sha256, sealed.data, sealed.wrapped_key, sealed.kek_id)
    if len(plaintext) >= 8:
        assert plaintext not in sealed.data


def test_every_payload_gets_its_own_key_and_nonce(vault: Vault) -> None:
    a, b = vault.seal(b"same"), vault.seal(b"same")
    assert a.sha256 == b.sha256
    assert a.data != b.data
    assert a.wrapped_key != b.wrapped_key


@pytest.mark.parametrize("field", ["data", "wrapped_key"])
def test_any_flipped_byte_is_refused(vault: Vault, field: str) -> None:
    sealed = vault.seal(b"evidence of lateral movement")
    for i in range(len(getattr(sealed, field))):
        value = bytearray(getattr(sealed, field))
        value[i] ^= 1
        kwargs = {"data": sealed.data, "wrapped_key": sealed.wrapped_key, field: bytes(value)}
        with pytest.raises(VerificationError):
            vault.open(sealed.sha256, kwargs["data"], kwargs["wrapped_key"], sealed.kek_id)


def test_a_ciphertext_cannot_be_moved_to_another_payload(vault: Vault) -> None:
    a, b = vault.seal(b"payload a"), vault.seal(b"payload b")
    with pytest.raises(VerificationError):
        vault.open(b.sha256, a.data, a.wrapped_key, a.kek_id)
    with pytest.raises(VerificationError, match="vault key"):
        vault.open(a.sha256, a.data, a.wrapped_key, "another-kek")
    other = Vault(FileKEK(os.urandom(32)))
    with pytest.raises(VerificationError):
        other.open(a.sha256, a.data, a.wrapped_key, other.kek.key_id)


def test_key_file_private_stable_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "home" / "vault.key"
    first = load_or_create_file_kek(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_file_kek(path).key_id == first.key_id
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_or_create_file_kek(path)
    path.chmod(0o600)
    path.write_text("garbage\n")
    with pytest.raises(ConfigError, match="corrupt"):
        load_or_create_file_kek(path)
    assert "PRIVATE" not in repr(first) and "key_id" in repr(first)
