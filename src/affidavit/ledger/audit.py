"""Verifying and reading a ledger without its secrets: what ``affidavit ledger ...`` runs.

Nothing here creates a key, a home directory or a database. Given the log's
verifier key (``--key``), verification reads no key file at all: a copy of the
database in an otherwise empty ``AFFIDAVIT_HOME`` is enough, which is what an
auditor has. Without ``--key``, the verifier key comes from the signer's state
file (``log.state``), or else from the public half of ``log.key``; and when
``vault.key`` is present every payload is also decrypted and hashed.

Trust comes from outside the database: the verifier key, the signer's state
file when present, checkpoints the auditor saved earlier (``--checkpoint``),
and witness keys (``--witness``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from affidavit.config import Settings
from affidavit.errors import ConfigError, InputError, VerificationError
from affidavit.ledger import note
from affidavit.ledger.anchors import Anchor, parse_signed_checkpoint
from affidavit.ledger.keys import load_log_key
from affidavit.ledger.reader import LedgerReader
from affidavit.ledger.signer import read_state
from affidavit.ledger.verify import Progress, VerifyReport, verify_ledger
from affidavit.store import Database, open_database
from affidavit.store.vault import Vault, load_or_create_file_kek

__all__ = ["open_reader", "verify_home"]

MAX_SAVED_CHECKPOINT_BYTES = 64 * 1024


def _open_existing(settings: Settings) -> Database:
    """The configured database; never creates an SQLite file that is not there."""
    try:
        url = make_url(settings.database_url)
    except ArgumentError as exc:
        raise ConfigError(f"invalid database URL: {exc}") from None
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database)
        if not path.is_file():
            raise ConfigError(f"there is no ledger database at {path}")
    return open_database(settings.database_url)


class _Reader(LedgerReader):
    def __init__(self, db: Database) -> None:
        self.db = db


@contextmanager
def open_reader(settings: Settings) -> Iterator[LedgerReader]:
    """Entries, roots and proofs of an existing ledger, without any key."""
    db = _open_existing(settings)
    try:
        yield _Reader(db)
    finally:
        db.close()


def _saved_anchor(path: Path, verifier_key: str) -> Anchor:
    what = f"saved checkpoint {path}"
    try:
        with path.open("rb") as f:
            data = f.read(MAX_SAVED_CHECKPOINT_BYTES + 1)
        if len(data) > MAX_SAVED_CHECKPOINT_BYTES:
            raise InputError(f"{what} is larger than {MAX_SAVED_CHECKPOINT_BYTES} bytes")
        text = data.decode("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} is not UTF-8 text") from None
    return Anchor(parse_signed_checkpoint(text, verifier_key, what), what)


def verify_home(
    settings: Settings,
    *,
    verifier_key: str | None = None,
    saved: Sequence[Path] = (),
    witnesses: Sequence[str] = (),
    witness_quorum: int | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    """Verify the configured ledger; raise VerificationError at the first discrepancy."""
    db = _open_existing(settings)
    try:
        return _verify(db, settings, verifier_key, saved, witnesses, witness_quorum, progress)
    finally:
        db.close()


def _verify(
    db: Database,
    settings: Settings,
    verifier_key: str | None,
    saved: Sequence[Path],
    witnesses: Sequence[str],
    witness_quorum: int | None,
    progress: Progress | None,
) -> VerifyReport:
    state = read_state(settings.log_state_path)
    operator = verifier_key is None  # on the log's own host, with its home directory
    if verifier_key is not None:
        verifier_key = verifier_key.strip()
        note.verifier_key_name(verifier_key)
        if state is not None and state[0] != verifier_key:
            raise VerificationError(
                f"the log key of the signer state in {settings.home} is not the expected "
                "key given with --key"
            )
    elif state is not None:
        verifier_key = state[0]
    elif settings.log_key_path.exists():
        verifier_key = load_log_key(settings.log_key_path).verifier_key
    else:
        raise ConfigError(
            "no verifier key: pass --key VKEY (the output of `affidavit ledger verifier-key`)"
        )
    anchors: list[Anchor] = []
    if state is not None:
        source = f"the checkpoint the signer last signed ({settings.log_state_path})"
        anchors.append(Anchor(state[1], source))
    anchors.extend(_saved_anchor(p, verifier_key) for p in saved)
    vault: Vault | None = None
    if operator and settings.vault_key_path.exists():  # read, never created
        vault = Vault(load_or_create_file_kek(settings.vault_key_path))
    return verify_ledger(
        db,
        verifier_key,
        note.verifier_key_name(verifier_key),
        progress,
        vault=vault,
        anchors=anchors,
        witnesses=witnesses,
        witness_quorum=witness_quorum,
    )
