"""Witness cosignatures on checkpoints (c2sp.org/tlog-cosignature, Ed25519 ``cosignature/v1``).

A witness key uses the signed-note key formats with signature type 0x04::

    signer key    PRIVATE+KEY+<name>+<key id>+<base64(0x04 || 32-byte Ed25519 seed)>
    verifier key  <name>+<key id>+<base64(0x04 || 32-byte Ed25519 public key)>

with key id = SHA-256(name || 0x0A || 0x04 || public key)[:4]. A cosignature is
a note signature line ``"\u2014 <name> base64(key id || timestamp || signature)"``:
the timestamp is the POSIX time of cosigning as 8 bytes big-endian (at most
2^63 - 1) and the Ed25519 signature covers::

    cosignature/v1
    time <timestamp>
    <the whole checkpoint note text, extension lines included>

A cosignature says: as of that time, this is the largest tree the witness has
seen for the origin, and it is consistent with everything it saw before.

Verification follows :func:`affidavit.ledger.note.verify`: signatures by keys
not given are ignored; one bad cosignature by a given key rejects the note.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from affidavit.errors import InputError, VerificationError
from affidavit.ledger import note

__all__ = [
    "ALG_COSIGNATURE_V1",
    "Cosignature",
    "Cosigner",
    "add_signature_lines",
    "cosigned_message",
    "generate_witness_key",
    "quorum_of",
    "require_cosignatures",
    "verify_cosignatures",
    "witness_key_name",
]

ALG_COSIGNATURE_V1 = 0x04
MAX_TIMESTAMP = 2**63 - 1
_SIGNATURE_BYTES = 8 + 64  # timestamp || Ed25519 signature


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: which witness key made it, and when it says it did."""

    name: str
    key_id: int
    timestamp: int


def cosigned_message(text: str, timestamp: int) -> bytes:
    """The bytes a cosignature/v1 signs for the checkpoint note ``text`` at ``timestamp``."""
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise InputError("a cosignature timestamp must be an integer")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise InputError(f"a cosignature timestamp must be between 0 and {MAX_TIMESTAMP}")
    return f"cosignature/v1\ntime {timestamp}\n".encode() + note._check_text(text)


def generate_witness_key(name: str) -> tuple[str, str]:
    """A new witness key named ``name``: (signer key, verifier key) texts."""
    return note._generate_key(name, ALG_COSIGNATURE_V1)


def witness_key_name(verifier_key: str) -> str:
    """Check a witness verifier key (``InputError`` if malformed) and return its name."""
    return note._parse_verifier_key(verifier_key, ALG_COSIGNATURE_V1).name


class Cosigner:
    """A witness's signing key, parsed once."""

    def __init__(self, signer_key: str) -> None:
        self._key = note._parse_signer_key(signer_key, ALG_COSIGNATURE_V1)
        self.name = self._key.name
        self.verifier_key = self._key.verifier_key()

    def cosign(self, text: str, timestamp: int) -> str:
        """The cosignature line (ending in a newline) for checkpoint note ``text``."""
        signature = self._key.private_key.sign(cosigned_message(text, timestamp))
        raw = self._key.key_id.to_bytes(4, "big") + timestamp.to_bytes(8, "big") + signature
        return f"\u2014 {self.name} {base64.b64encode(raw).decode('ascii')}\n"

    def __repr__(self) -> str:  # never print the private key
        return f"Cosigner(name={self.name!r})"


def verify_cosignatures(signed_note: str, witness_keys: Sequence[str]) -> tuple[Cosignature, ...]:
    """The valid cosignatures on ``signed_note`` by ``witness_keys`` (one per key).

    Lines by other keys (the log's own signature included) are ignored. Raises
    ``VerificationError`` if the note is malformed or a cosignature by one of
    ``witness_keys`` is malformed or does not verify.
    """
    if isinstance(witness_keys, str):
        raise InputError("witness_keys must be a sequence of verifier keys, not one string.")
    known: dict[tuple[str, int], note._VerifierKey] = {}
    for text in witness_keys:
        key = note._parse_verifier_key(text, ALG_COSIGNATURE_V1)
        if known.setdefault((key.name, key.key_id), key).public_bytes != key.public_bytes:
            raise InputError(f"Two different witness keys are named {key.name}+{key.key_id:08x}.")
    body, lines = note._split_note(signed_note)
    found: dict[tuple[str, int], Cosignature] = {}
    for name, key_id, raw in lines:
        found_key = known.get((name, key_id))
        if found_key is None:
            continue
        who = f"witness {name}+{key_id:08x}"
        timestamp = int.from_bytes(raw[:8], "big")
        if len(raw) != _SIGNATURE_BYTES or timestamp > MAX_TIMESTAMP:
            raise VerificationError(f"The cosignature by {who} is malformed.")
        if not found_key.verifies(cosigned_message(body, timestamp), raw[8:]):
            raise VerificationError(
                f"The cosignature by {who} does not verify; the checkpoint was altered or "
                "not cosigned by that witness."
            )
        found.setdefault((name, key_id), Cosignature(name, key_id, timestamp))
    return tuple(found.values())


def quorum_of(witness_keys: Sequence[str], quorum: int | None) -> int:
    """How many distinct witnesses must cosign: ``quorum``, checked, or all of them."""
    parsed = [note._parse_verifier_key(k, ALG_COSIGNATURE_V1) for k in witness_keys]
    distinct = len({(key.name, key.key_id) for key in parsed})
    needed = distinct if quorum is None else quorum
    if isinstance(needed, bool) or not 1 <= needed <= distinct:
        raise InputError(f"the witness quorum must be between 1 and {distinct}")
    return needed


def require_cosignatures(
    signed_note: str, witness_keys: Sequence[str], quorum: int | None = None
) -> tuple[Cosignature, ...]:
    """Like :func:`verify_cosignatures`, and at least ``quorum`` (default: all) witnesses."""
    needed = quorum_of(witness_keys, quorum)
    found = verify_cosignatures(signed_note, witness_keys)
    if len(found) < needed:
        raise VerificationError(
            f"the checkpoint carries valid cosignatures by {len(found)} of the given witnesses; "
            f"{needed} are required"
        )
    return found


def add_signature_lines(signed_note: str, lines: Sequence[str]) -> str:
    """``signed_note`` with the signature ``lines`` appended, one per (name, key id).

    A line by a key that already signed the note is dropped (the first stays).
    Raises ``VerificationError`` if a line is malformed or the note would carry
    more than ``note.MAX_SIGNATURES`` signatures.
    """
    _, existing = note._split_note(signed_note)
    seen = {(name, key_id) for name, key_id, _ in existing}
    merged = signed_note
    for line in lines:
        line = line.rstrip("\n")
        name, key_id, _ = note._parse_signature_line(line)
        if (name, key_id) not in seen:
            seen.add((name, key_id))
            merged += line + "\n"
    note._split_note(merged)  # the limits still hold
    return merged
