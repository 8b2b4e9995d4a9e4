"""Secret key files in ``$AFFIDAVIT_HOME``: the log's signing key and the token-hash key.

``log.key`` holds one signed-note signer key (``PRIVATE+KEY+<name>+...``); the
key name is the log's origin line. ``token.key`` holds the secret that keys
identity-token hashes (HMAC-SHA256), so that a token row planted in the
database does not authenticate. A witness's key file (``affidavit witness``)
is read the same way.

Every key file is mode 0600, created atomically on first use by the service
(never by verification). A key file that others can read, that does not parse,
or that does not match the key the database was created with is refused: a
silent new key would fork the log's identity.
"""

from __future__ import annotations

import base64
import os
import secrets
import stat
from pathlib import Path

from affidavit.errors import AffidavitError, ConfigError
from affidavit.ledger import note

__all__ = [
    "LogKey",
    "load_log_key",
    "load_or_create_log_key",
    "load_or_create_token_key",
    "read_private_text",
    "write_private_text",
]

_TOKEN_KEY_PREFIX = "affidavit-token-key-v1:"  # noqa: S105 - a file header
MAX_KEY_FILE_BYTES = 4096


class LogKey:
    """A signer key and its verifier key, both as signed-note key text."""

    def __init__(self, signer_key: str) -> None:
        try:
            self.verifier_key = note.verifier_key_from_signer(signer_key)
        except AffidavitError as exc:
            raise ConfigError(f"the log signing key is corrupt: {exc}") from exc
        self._signer_key = signer_key
        self.origin = self.verifier_key.split("+", 1)[0]

    def sign(self, text: str) -> str:
        return note.sign(text, self._signer_key)

    def __repr__(self) -> str:  # never print the private key
        return f"LogKey(origin={self.origin!r})"


def read_private_text(path: Path, what: str) -> str:
    """The stripped text of a secret file that only its owner may read."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist") from None
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise ConfigError(
            f"{what} {path} is readable by other users "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}"
        )
    if st.st_size > MAX_KEY_FILE_BYTES:
        raise ConfigError(f"{what} {path} is corrupt: larger than {MAX_KEY_FILE_BYTES} bytes")
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from exc


def write_private_text(path: Path, text: str) -> bool:
    """Create ``path`` (mode 0600) holding ``text``, atomically, unless it exists.

    Returns False when another process created it first (use theirs).
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Write a private temporary file, then link it into place: another process
    # sees either no file or the whole file, never a half-written one.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def load_log_key(path: Path) -> LogKey:
    text = read_private_text(path, "log signing key")
    try:
        return LogKey(text)
    except ConfigError as exc:
        raise ConfigError(f"log signing key {path} is corrupt: {exc.message}") from exc


def load_or_create_log_key(path: Path) -> LogKey:
    """Load the key, creating it (mode 0600, atomically) when missing."""
    if path.exists():
        return load_log_key(path)
    origin = f"affidavit.local/log/{secrets.token_hex(8)}"
    signer, _verifier = note.generate_key(origin)
    if not write_private_text(path, signer):
        return load_log_key(path)  # another process created it first: use theirs
    return LogKey(signer)


def load_or_create_token_key(path: Path) -> bytes:
    """The 32-byte token-hash key, created (mode 0600, atomically) when missing."""
    if not path.exists():
        encoded = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        write_private_text(path, _TOKEN_KEY_PREFIX + encoded)
    text = read_private_text(path, "token key")
    try:
        if not text.startswith(_TOKEN_KEY_PREFIX):
            raise ValueError("missing header")
        key = base64.b64decode(text[len(_TOKEN_KEY_PREFIX) :], validate=True)
        if len(key) != 32:
            raise ValueError("not 32 bytes")
    except ValueError as exc:
        raise ConfigError(f"token key {path} is corrupt: {exc}") from None
    return key
