"""Checkpoints known, from outside the database, to have been signed: anchors.

The database can be rewritten by whoever can write it, checkpoints included.
What it cannot rewrite is a signed checkpoint kept elsewhere: the signer's
state file (``log.state``) or a checkpoint an auditor saved earlier. The
ledger must be an append-only extension of every such anchor, and must still
hold it: a consistency proof from the anchor's size to the current tree,
computed from the stored subtree hashes, must verify against the anchor's
signed root (:func:`merkle.verify_consistency`), and ``ledger_checkpoints``
must still have a checkpoint at the anchor's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from affidavit.errors import AffidavitError, StorageError, VerificationError
from affidavit.ledger import merkle, note, tree
from affidavit.ledger.note import Checkpoint
from affidavit.store.schema import ledger_checkpoints

__all__ = [
    "Anchor",
    "SignedCheckpoint",
    "check_anchors",
    "parse_signed_checkpoint",
    "require_extension",
]


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint note whose log signature was verified, and what it says."""

    note: str
    checkpoint: Checkpoint

    @property
    def size(self) -> int:
        return self.checkpoint.size

    @property
    def root(self) -> bytes:
        return self.checkpoint.root


def parse_signed_checkpoint(text: str, verifier_key: str, what: str) -> SignedCheckpoint:
    """Verify ``text`` as a checkpoint signed by ``verifier_key``; VerificationError if not."""
    origin = note.verifier_key_name(verifier_key)
    try:
        signed = note.verify(text, [verifier_key])
        checkpoint = Checkpoint.parse(signed.text)
    except AffidavitError as exc:
        raise VerificationError(
            f"{what} is not a checkpoint signed by the log key: {exc}"
        ) from None
    if checkpoint.origin != origin:
        raise VerificationError(f"{what} names origin {checkpoint.origin!r}, not {origin!r}")
    return SignedCheckpoint(text, checkpoint)


def require_extension(
    conn: Connection, tree_size: int, anchor: Checkpoint, size: int, root: bytes, what: str
) -> None:
    """Check that the stored tree (``size``, ``root``) and ``anchor`` are one history.

    ``tree_size`` is the stored tree's current size; the proof between the two
    sizes is computed from the stored subtree hashes. Raises VerificationError.
    """
    if anchor.size > tree_size:
        raise VerificationError(
            f"the ledger has {tree_size} entries but {what} covers {anchor.size}: entries "
            "were deleted from the end, or the database was restored from an older backup"
        )
    old, new = sorted((anchor.size, size))
    old_root, new_root = (anchor.root, root) if anchor.size <= size else (root, anchor.root)
    try:
        proof = tree.consistency_proof(conn, old, new)
        merkle.verify_consistency(old, new, proof, old_root, new_root)
    except (VerificationError, StorageError):
        raise VerificationError(
            f"the ledger's tree is not consistent with {what} (size {anchor.size}): entries "
            f"before {anchor.size} were modified, deleted or rehashed, or this database is "
            "another log's"
        ) from None


@dataclass(frozen=True)
class Anchor:
    """A signed checkpoint from outside the database, and where it came from."""

    signed: SignedCheckpoint
    source: str
    """Names the anchor in messages, e.g. ``saved checkpoint audit/2026-11.note``."""


def check_anchors(conn: Connection, anchors: Sequence[Anchor], tree_size: int, root: bytes) -> None:
    """Every anchor is a prefix of the stored tree (``tree_size``, ``root``) and still stored."""
    t = ledger_checkpoints
    for anchor in anchors:
        require_extension(conn, tree_size, anchor.signed.checkpoint, tree_size, root, anchor.source)
        if conn.execute(select(t.c.size).where(t.c.size == anchor.signed.size)).first() is None:
            raise VerificationError(
                f"{anchor.source} was signed at size {anchor.signed.size}, but ledger_checkpoints "
                "has no checkpoint at that size: a signed checkpoint was deleted"
            )
