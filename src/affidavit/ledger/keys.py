"""The log's checkpoint signing key, kept in ``$AFFIDAVIT_HOME/log.key``.

The file holds one signed-note signer key (``PRIVATE+KEY+<name>+...``), mode
0600, created on first use. The key name is the log's origin line. A key file
that others can read, that does not parse, or that does not match the key the
database was created with is refused: a silent new key would fork the log's
identity.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from affidavit.errors import AffidavitError, ConfigError
from affidavit.ledger import note

__all__ = ["LogKey", "load_log_key", "load_or_create_log_key"]


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


def load_log_key(path: Path) -> LogKey:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"log signing key {path} does not exist") from None
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise ConfigError(
            f"log signing key {path} is readable by other users "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}"
        )
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read log signing key {path}: {exc}") from exc
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
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Write a private temporary file, then link it into place: another process
    # sees either no key or the whole key, never a half-written one.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(signer + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:  # another process created it first: use theirs
            return load_log_key(path)
    finally:
        tmp.unlink(missing_ok=True)
    return LogKey(signer)
