"""The evidence vault: every payload encrypted at rest under its own key.

Each payload gets a fresh 256-bit data key (AES-256-GCM, 96-bit random nonce,
the payload's SHA-256 as associated data, so a ciphertext cannot be moved to
another payload). The data key is wrapped by a key-encryption key (KEK): by
default a random key in ``$AFFIDAVIT_HOME/vault.key`` (mode 0600); a KMS plugs
in through :class:`KeyEncryptionKey`. Erasure destroys the wrapped data key
(crypto-shredding): the ciphertext, and the ledger's proof over the payload's
hash, remain; the content is gone.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from affidavit.errors import ConfigError, VerificationError

__all__ = ["FileKEK", "KeyEncryptionKey", "SealedPayload", "Vault", "load_or_create_file_kek"]

_NONCE = 12
_KEY_FILE_PREFIX = "affidavit-vault-kek-v1:"


class KeyEncryptionKey(Protocol):
    """Wraps and unwraps data keys; a KMS adapter implements the same two calls."""

    key_id: str

    def wrap(self, data_key: bytes, aad: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes: ...

    def derive_key(self, label: str) -> bytes:
        """A 32-byte key for another purpose (e.g. tokenization), stable per label."""
        ...


class FileKEK:
    """A local AES-256-GCM key-encryption key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ConfigError("a vault key-encryption key is 32 bytes")
        self._aead = AESGCM(key)
        self._key = key
        self.key_id = hashlib.sha256(b"affidavit-kek" + key).hexdigest()[:16]

    def wrap(self, data_key: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, data_key, aad)

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], aad)
        except InvalidTag:
            raise VerificationError("a wrapped data key does not open with the vault key") from None

    def derive_key(self, label: str) -> bytes:
        return HKDF(algorithm=SHA256(), length=32, salt=None, info=label.encode()).derive(self._key)

    def __repr__(self) -> str:
        return f"FileKEK(key_id={self.key_id!r})"


def load_or_create_file_kek(path: Path) -> FileKEK:
    """The KEK in ``path``, created (mode 0600, atomically) when missing."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = _KEY_FILE_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode() + "\n"
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            # If another process won the race, its key is the one to use.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"vault key {path} is readable by other users (mode {mode:04o}); run: chmod 600 {path}"
        )
    try:
        text = path.read_text(encoding="utf-8").strip()
        if not text.startswith(_KEY_FILE_PREFIX):
            raise ValueError("missing header")
        key = base64.b64decode(text[len(_KEY_FILE_PREFIX) :], validate=True)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"vault key {path} is corrupt: {exc}") from None
    return FileKEK(key)


@dataclass(frozen=True)
class SealedPayload:
    sha256: str
    data: bytes  # nonce || ciphertext || tag
    wrapped_key: bytes
    kek_id: str


def _aad(sha256_hex: str) -> bytes:
    return b"affidavit-payload:" + sha256_hex.encode()


class Vault:
    """Seals payloads for storage and opens them again."""

    def __init__(self, kek: KeyEncryptionKey) -> None:
        self.kek = kek

    def seal(self, plaintext: bytes) -> SealedPayload:
        digest = hashlib.sha256(plaintext).hexdigest()
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(_NONCE)
        aad = _aad(digest)
        data = nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)
        return SealedPayload(digest, data, self.kek.wrap(data_key, aad), self.kek.key_id)

    def open(self, sha256_hex: str, data: bytes, wrapped_key: bytes, kek_id: str) -> bytes:
        """The plaintext; VerificationError if anything was altered."""
        if kek_id != self.kek.key_id:
            raise VerificationError(
                f"payload {sha256_hex[:16]}... was sealed with vault key {kek_id}, "
                f"not the configured {self.kek.key_id}"
            )
        aad = _aad(sha256_hex)
        data_key = self.kek.unwrap(wrapped_key, aad)
        try:
            plaintext = AESGCM(data_key).decrypt(data[:_NONCE], data[_NONCE:], aad)
        except InvalidTag:
            raise VerificationError(
                f"payload {sha256_hex[:16]}...: the ciphertext does not authenticate"
            ) from None
        if hashlib.sha256(plaintext).hexdigest() != sha256_hex:
            raise VerificationError(f"payload {sha256_hex[:16]}... decrypts to other content")
        return plaintext
