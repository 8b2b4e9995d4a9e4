"""The checkpoint signer: it signs only trees proven to extend what it signed before.

The database alone is not trusted to say what the log key has signed: whoever
can write it can edit an entry, recompute every hash and delete the
checkpoints. So the signer keeps its last signed checkpoint in
``$AFFIDAVIT_HOME/log.state``, beside ``log.key`` and outside the database.
Before it signs the tree (size, root) it computes a consistency proof between
that checkpoint and the tree from the database's stored subtree hashes and
checks it with :func:`merkle.verify_consistency` against the saved root. A
rewound, truncated or forked database makes signing fail with a
:class:`VerificationError`; nothing is signed.

The state file is JSON ``{"verifier_key": ..., "checkpoint": <signed note>}``,
mode 0600, replaced atomically and fsynced (file and directory) before the new
checkpoint is stored or returned: no checkpoint leaves the signer that the
state does not cover. The state only moves forward.

A home without a state file (a ledger that predates it) adopts the latest
checkpoint stored in the database, if that checkpoint is signed by this key and
the database's tree still matches it.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path

from sqlalchemy import Connection, select

from affidavit.errors import AffidavitError, ConfigError, StorageError
from affidavit.ledger.anchors import (
    Anchor,
    SignedCheckpoint,
    parse_signed_checkpoint,
    require_extension,
)
from affidavit.ledger.keys import LogKey
from affidavit.ledger.note import Checkpoint
from affidavit.store.schema import ledger_checkpoints

__all__ = ["Signer", "read_state", "write_state"]

MAX_STATE_BYTES = 64 * 1024


def read_state(path: Path) -> tuple[str, SignedCheckpoint] | None:
    """(verifier key, last signed checkpoint) from the state file; None if there is none."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    if stat.S_IMODE(st.st_mode) & 0o022:
        raise ConfigError(
            f"signer state {path} is writable by other users "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}"
        )
    try:
        if st.st_size > MAX_STATE_BYTES:
            raise ValueError("too large")
        state = json.loads(path.read_text(encoding="utf-8"))
        verifier_key, text = state["verifier_key"], state["checkpoint"]
        if not isinstance(verifier_key, str) or not isinstance(text, str):
            raise ValueError("fields are not strings")
        return verifier_key, parse_signed_checkpoint(text, verifier_key, f"signer state {path}")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AffidavitError) as exc:
        reason = exc.message if isinstance(exc, AffidavitError) else type(exc).__name__
        raise ConfigError(
            f"signer state {path} is unreadable or corrupt ({reason}); restore it from a "
            "backup: without it the signer cannot tell a rewritten database from the real one"
        ) from None


def write_state(path: Path, verifier_key: str, signed_note: str) -> None:
    """Replace the state file atomically; durable (file and directory fsynced) on return."""
    data = json.dumps({"verifier_key": verifier_key, "checkpoint": signed_note}, indent=1) + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise StorageError(f"cannot write signer state {path}: {exc}") from exc


class Signer:
    """Signs checkpoints with the log key, never for a tree that forks what it signed."""

    def __init__(self, key: LogKey, state_path: Path) -> None:
        self.key = key
        self.state_path = state_path
        self.signed_size = 0
        """The largest size this signer is known to have signed (a lower bound)."""

    def last_signed(self) -> SignedCheckpoint | None:
        """The checkpoint in the state file, read afresh (another process may have signed)."""
        state = read_state(self.state_path)
        if state is None:
            return None
        verifier_key, signed = state
        if verifier_key != self.key.verifier_key:
            raise ConfigError(
                f"signer state {self.state_path} belongs to another log key "
                f"({verifier_key.split('+', 1)[0]}); it must sit beside its own log.key"
            )
        self.signed_size = max(self.signed_size, signed.size)
        return signed

    def _adopt(self, conn: Connection) -> SignedCheckpoint | None:
        """For a home that predates the state file: the latest stored checkpoint."""
        t = ledger_checkpoints
        row = conn.execute(select(t.c.size, t.c.note).order_by(t.c.size.desc()).limit(1)).first()
        if row is None:
            return None
        return parse_signed_checkpoint(
            str(row.note), self.key.verifier_key, f"the stored checkpoint at size {row.size}"
        )

    def sign(self, conn: Connection, tree_size: int, size: int, root: bytes) -> str:
        """Sign the checkpoint for the stored tree's prefix (``size``, ``root``).

        Runs inside the caller's write transaction; the state file is durable
        before this returns.
        """
        last = self.last_signed()
        what = f"the checkpoint this signer last signed ({self.state_path.name})"
        adopted = last is None
        if last is None:
            last = self._adopt(conn)
            what = "the latest stored checkpoint"
        if last is not None:
            require_extension(conn, tree_size, last.checkpoint, size, root, what)
        signed = self.key.sign(Checkpoint(origin=self.key.origin, size=size, root=root).format())
        if last is None or size > last.size:
            write_state(self.state_path, self.key.verifier_key, signed)
        elif adopted:
            write_state(self.state_path, self.key.verifier_key, last.note)
        self.signed_size = max(self.signed_size, size)
        return signed

    def anchor(self, signed: SignedCheckpoint) -> Anchor:
        return Anchor(signed, f"the checkpoint the signer last signed ({self.state_path})")
