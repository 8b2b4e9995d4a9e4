"""Signed notes (c2sp.org/signed-note) and log checkpoints (c2sp.org/tlog-checkpoint), Ed25519.

Keys use the text formats of Go's ``golang.org/x/mod/sumdb/note``::

    signer key    PRIVATE+KEY+<name>+<key id>+<base64(0x01 || 32-byte Ed25519 seed)>
    verifier key  <name>+<key id>+<base64(0x01 || 32-byte Ed25519 public key)>

The key id is the first four bytes, big-endian, of
SHA-256(name || 0x0A || 0x01 || public key), written as 8 hex digits.

A signed note is the text (ending in a newline), a blank line, then one line
per signature: ``"\u2014 <key name> <base64(4-byte key id || signature)>\\n"``.

Choices the specs leave open, or where we are stricter than Go:

* Limits: a note is at most ``MAX_NOTE_BYTES`` (1 MiB) of UTF-8 and has at most
  ``MAX_SIGNATURES`` (100, Go's cap) signature lines, duplicates included.
* Base64 must be canonical (padded, zero pad bits). Conforming encoders only
  emit that; accepting other spellings would let a signature line be altered
  without changing what it decodes to.
* Every signature by a known key is checked, including repeats by the same key
  (Go checks only the first); one bad one rejects the note, as the spec advises.
* Key ids are written in lowercase hex; uppercase is accepted, as Go does.
* Errors: malformed keys and arguments raise ``InputError``; untrusted note
  or checkpoint text that is malformed or does not verify raises
  ``VerificationError``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from affidavit.errors import InputError, VerificationError

__all__ = [
    "MAX_NOTE_BYTES",
    "MAX_SIGNATURES",
    "Checkpoint",
    "Note",
    "Signature",
    "generate_key",
    "sign",
    "verifier_key_from_signer",
    "verifier_key_name",
    "verify",
]

MAX_NOTE_BYTES = 1 << 20
MAX_SIGNATURES = 100

_ALG_ED25519 = 0x01
_ED25519_KEY_BYTES = 32
_ED25519_SIGNATURE_BYTES = 64
_SIGNER_PREFIX = "PRIVATE+KEY+"
_SIGNATURE_PREFIX = "\u2014 "
_MAX_TREE_SIZE = 2**64 - 1  # uint64, as the Go and transparency-dev parsers use
_ROOT_BYTES = 32

# Lone surrogates are how a Python str carries bytes that are not valid UTF-8.
_BAD_TEXT_CHAR = re.compile(r"[\x00-\x09\x0b-\x1f\ud800-\udfff]")
# Key names: no Unicode White_Space (Go's unicode.IsSpace), no '+', no controls.
_BAD_NAME_CHAR = re.compile(
    r"[\x00-\x20+\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ud800-\udfff]"
)
_KEY_ID_HEX = re.compile(r"[0-9a-fA-F]{8}")
_TREE_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


def _is_valid_name(name: str) -> bool:
    return bool(name) and _BAD_NAME_CHAR.search(name) is None


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(value: str) -> bytes | None:
    """Decode canonical standard base64; None if ``value`` is anything else."""
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        return None
    return raw if _b64encode(raw) == value else None


# ``alg`` is the signature type byte: 0x01 here; witness cosignatures
# (affidavit.ledger.cosignature) use the same key formats with 0x04.
def _key_id(name: str, public_key: bytes, alg: int = _ALG_ED25519) -> int:
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _format_key(name: str, key_id: int, key_bytes: bytes, alg: int = _ALG_ED25519) -> str:
    return f"{name}+{key_id:08x}+{_b64encode(bytes([alg]) + key_bytes)}"


def _check_text(text: str) -> bytes:
    """Return ``text`` as UTF-8 if it can be the text of a signed note, else raise InputError."""
    what = "note text"
    if not isinstance(text, str):
        raise InputError(f"The {what} must be a str, not {type(text).__name__}.")
    if not text.endswith("\n"):
        raise InputError(f"The {what} must be non-empty and end with a newline.")
    too_large = InputError(f"The {what} is larger than {MAX_NOTE_BYTES} bytes.")
    if len(text) > MAX_NOTE_BYTES:  # cheap bound first: a character is at least one byte
        raise too_large
    if _BAD_TEXT_CHAR.search(text):
        raise InputError(
            f"The {what} must be valid UTF-8 without control characters other than newline."
        )
    data = text.encode("utf-8")
    if len(data) > MAX_NOTE_BYTES:
        raise too_large
    return data


@dataclass(frozen=True)
class _VerifierKey:
    name: str
    key_id: int
    public_key: Ed25519PublicKey = field(compare=False)
    public_bytes: bytes

    def verifies(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != _ED25519_SIGNATURE_BYTES:
            return False
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class _SignerKey:
    name: str
    key_id: int
    private_key: Ed25519PrivateKey = field(repr=False, compare=False)
    alg: int = _ALG_ED25519

    def verifier_key(self) -> str:
        public = self.private_key.public_key().public_bytes_raw()
        return _format_key(self.name, self.key_id, public, self.alg)


def _split_key(text: str, what: str, alg: int = _ALG_ED25519) -> tuple[str, int, bytes]:
    """Split ``<name>+<key id>+<base64 key>`` into name, claimed key id and key bytes."""
    name, plus1, rest = text.partition("+")
    key_id_hex, plus2, encoded = rest.partition("+")
    if not (plus1 and plus2):
        raise InputError(f"The {what} is not of the form <name>+<key id>+<base64 key>.")
    if not _is_valid_name(name):
        raise InputError(
            f"The {what} has an invalid name: it must be non-empty, without spaces, "
            "plus signs or control characters."
        )
    if _KEY_ID_HEX.fullmatch(key_id_hex) is None:
        raise InputError(f"The {what} for {name!r} has a key id that is not 8 hex digits.")
    raw = _b64decode(encoded)
    if not raw:
        raise InputError(f"The {what} for {name!r} is not valid base64.")
    if raw[0] != alg:
        supported = "Ed25519 (1)" if alg == _ALG_ED25519 else f"Ed25519 cosignature/v1 ({alg})"
        raise InputError(
            f"The {what} for {name!r} uses algorithm {raw[0]}; only {supported} is supported."
        )
    if len(raw) != 1 + _ED25519_KEY_BYTES:
        raise InputError(f"The {what} for {name!r} does not hold a 32-byte Ed25519 key.")
    return name, int(key_id_hex, 16), raw[1:]


def _key_id_mismatch(what: str, name: str, claimed: int, actual: int) -> InputError:
    return InputError(
        f"The {what} for {name!r} claims key id {claimed:08x} but its key gives "
        f"{actual:08x}; the key text is corrupt or altered."
    )


def _parse_verifier_key(text: str, alg: int = _ALG_ED25519) -> _VerifierKey:
    if not isinstance(text, str):
        raise InputError(f"A verifier key must be a str, not {type(text).__name__}.")
    name, key_id, public_bytes = _split_key(text, "verifier key", alg)
    actual = _key_id(name, public_bytes, alg)
    if actual != key_id:
        raise _key_id_mismatch("verifier key", name, key_id, actual)
    public_key = Ed25519PublicKey.from_public_bytes(public_bytes)
    return _VerifierKey(name, key_id, public_key, public_bytes)


def _parse_signer_key(text: str, alg: int = _ALG_ED25519) -> _SignerKey:
    # Messages never quote the key text: it is a secret.
    if not isinstance(text, str):
        raise InputError(f"The signer key must be a str, not {type(text).__name__}.")
    if not text.startswith(_SIGNER_PREFIX):
        raise InputError(f"The signer key does not start with {_SIGNER_PREFIX!r}.")
    name, key_id, seed = _split_key(text[len(_SIGNER_PREFIX) :], "signer key", alg)
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    actual = _key_id(name, private_key.public_key().public_bytes_raw(), alg)
    if actual != key_id:
        raise _key_id_mismatch("signer key", name, key_id, actual)
    return _SignerKey(name, key_id, private_key, alg)


def generate_key(name: str) -> tuple[str, str]:
    """Make a new Ed25519 key named ``name``; return (signer key, verifier key) texts."""
    return _generate_key(name, _ALG_ED25519)


def _generate_key(name: str, alg: int) -> tuple[str, str]:
    if not isinstance(name, str) or not _is_valid_name(name):
        raise InputError(
            "A key name must be non-empty, without spaces, plus signs or control characters."
        )
    private_key = Ed25519PrivateKey.generate()
    public = private_key.public_key().public_bytes_raw()
    key_id = _key_id(name, public, alg)
    signer = _SIGNER_PREFIX + _format_key(name, key_id, private_key.private_bytes_raw(), alg)
    return signer, _format_key(name, key_id, public, alg)


def verifier_key_from_signer(signer_key: str) -> str:
    """Return the verifier key text that belongs to ``signer_key``."""
    return _parse_signer_key(signer_key).verifier_key()


def verifier_key_name(verifier_key: str) -> str:
    """Check ``verifier_key`` (``InputError`` if malformed) and return its key name."""
    return _parse_verifier_key(verifier_key).name


def sign(text: str, signer_key: str) -> str:
    """Sign ``text`` (ending in a newline) and return the signed note."""
    message = _check_text(text)
    signer = _parse_signer_key(signer_key)
    signature = signer.private_key.sign(message)
    encoded = _b64encode(signer.key_id.to_bytes(4, "big") + signature)
    note = f"{text}\n{_SIGNATURE_PREFIX}{signer.name} {encoded}\n"
    if len(note.encode("utf-8")) > MAX_NOTE_BYTES:
        raise InputError(f"The signed note would be larger than {MAX_NOTE_BYTES} bytes.")
    return note


@dataclass(frozen=True)
class Signature:
    """A verified signature on a note: the name and key id of the key that made it."""

    name: str
    key_id: int

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _is_valid_name(self.name):
            raise InputError(
                "A signature's key name must be non-empty, without spaces, "
                "plus signs or control characters."
            )
        if (
            isinstance(self.key_id, bool)
            or not isinstance(self.key_id, int)
            or not 0 <= self.key_id < 2**32
        ):
            raise InputError("A signature's key id must be an integer from 0 to 2**32 - 1.")


@dataclass(frozen=True)
class Note:
    """A note whose signatures were verified: its text and the keys that signed it."""

    text: str
    signatures: tuple[Signature, ...]

    def __post_init__(self) -> None:
        _check_text(self.text)
        if (
            not isinstance(self.signatures, tuple)
            or not self.signatures
            or not all(isinstance(s, Signature) for s in self.signatures)
        ):
            raise InputError("A note's signatures must be a non-empty tuple of Signature.")
        if len(self.signatures) > MAX_SIGNATURES:
            raise InputError(f"A note may have at most {MAX_SIGNATURES} signatures.")
        if len(set(self.signatures)) != len(self.signatures):
            raise InputError("A note lists the same signing key more than once.")


def _malformed(reason: str) -> VerificationError:
    return VerificationError(f"The signed note is malformed: {reason}.")


def _parse_signature_line(line: str) -> tuple[str, int, bytes]:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise _malformed("a signature line does not start with an em dash and a space")
    name, space, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    if not _is_valid_name(name):
        raise _malformed("a signature line has no valid key name")
    if not space:
        raise _malformed(f"the signature line for {name!r} has no signature")
    raw = _b64decode(encoded)
    if raw is None or len(raw) < 5:  # a key id and at least one signature byte, as Go requires
        raise _malformed(f"the signature line for {name!r} does not hold a base64 signature")
    return name, int.from_bytes(raw[:4], "big"), raw[4:]


def _split_note(note: str) -> tuple[str, list[tuple[str, int, bytes]]]:
    """Split a signed note into its text and its (name, key id, signature) lines."""
    if not isinstance(note, str):
        raise InputError(f"The signed note must be a str, not {type(note).__name__}.")
    too_large = _malformed(f"it is larger than {MAX_NOTE_BYTES} bytes")
    if len(note) > MAX_NOTE_BYTES:  # cheap bound first: a character is at least one byte
        raise too_large
    if _BAD_TEXT_CHAR.search(note):
        raise _malformed("it is not UTF-8 without control characters other than newline")
    if len(note.encode("utf-8")) > MAX_NOTE_BYTES:
        raise too_large
    split = note.rfind("\n\n")  # the last blank line ends the text
    if split < 0:
        raise _malformed("there is no blank line between the text and the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise _malformed("it does not end with a signature line and a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise _malformed(f"it has more than {MAX_SIGNATURES} signature lines")
    return text, [_parse_signature_line(line) for line in lines]


def _index_verifier_keys(verifier_keys: Sequence[str]) -> dict[tuple[str, int], _VerifierKey]:
    if isinstance(verifier_keys, str):
        raise InputError("verifier_keys must be a sequence of verifier keys, not one string.")
    index: dict[tuple[str, int], _VerifierKey] = {}
    for text in verifier_keys:
        key = _parse_verifier_key(text)
        known = index.setdefault((key.name, key.key_id), key)
        if known.public_bytes != key.public_bytes:
            raise InputError(
                f"Two different verifier keys are named {key.name}+{key.key_id:08x}; "
                "remove the one that is not trusted."
            )
    return index


def verify(note: str, verifier_keys: Sequence[str]) -> Note:
    """Check a signed note against the trusted ``verifier_keys`` and return what they signed.

    Signatures by keys not in ``verifier_keys`` are ignored. Raises
    ``VerificationError`` if the note is malformed, if no known key signed it,
    or if any signature by a known key is bad.
    """
    known = _index_verifier_keys(verifier_keys)
    text, lines = _split_note(note)
    message = text.encode("utf-8")
    verified: dict[tuple[str, int], Signature] = {}
    for name, key_id, signature in lines:
        key = known.get((name, key_id))
        if key is None:
            continue
        if not key.verifies(message, signature):
            raise VerificationError(
                f"The signature by key {name}+{key_id:08x} does not verify; "
                "the note was altered or not signed by that key."
            )
        verified.setdefault((name, key_id), Signature(name, key_id))
    if not verified:
        raise VerificationError("The note has no signature by any of the given verifier keys.")
    return Note(text, tuple(verified.values()))


def _is_valid_line(line: str) -> bool:
    return bool(line) and "\n" not in line and _BAD_TEXT_CHAR.search(line) is None


def _checkpoint_problem(origin: str, size: int, root: bytes, extensions: tuple[str, ...]) -> str:
    """Say what is wrong with these checkpoint fields, or return ``""`` if nothing is."""
    if not isinstance(origin, str) or not _is_valid_line(origin):
        return "the origin must be a non-empty line of text without control characters"
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= _MAX_TREE_SIZE:
        return f"the tree size must be an integer from 0 to {_MAX_TREE_SIZE}"
    if not isinstance(root, bytes) or len(root) != _ROOT_BYTES:
        return f"the root hash must be {_ROOT_BYTES} bytes"
    if not isinstance(extensions, tuple) or not all(isinstance(x, str) for x in extensions):
        return "the extensions must be a tuple of str"
    if not all(_is_valid_line(line) for line in extensions):
        return "every extension line must be non-empty text without control characters"
    return ""


@dataclass(frozen=True)
class Checkpoint:
    """A transparency log checkpoint: the note text a log signs for its tree head."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problem = _checkpoint_problem(self.origin, self.size, self.root, self.extensions)
        if problem:
            raise InputError(f"Invalid checkpoint: {problem}.")

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse checkpoint note text (untrusted); raise ``VerificationError`` if malformed."""

        def malformed(reason: str) -> VerificationError:
            return VerificationError(f"The checkpoint is malformed: {reason}.")

        if not isinstance(text, str):
            raise InputError(f"The checkpoint text must be a str, not {type(text).__name__}.")
        if not text.endswith("\n"):
            raise malformed("it does not end with a newline")
        if len(text) > MAX_NOTE_BYTES:
            raise malformed(f"it is larger than {MAX_NOTE_BYTES} bytes")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise malformed("it needs an origin, a tree size and a root hash line")
        origin, size_line, root_line, *extensions = lines
        if _TREE_SIZE.fullmatch(size_line) is None or int(size_line) > _MAX_TREE_SIZE:
            raise malformed(
                f"the tree size is not a decimal number from 0 to {_MAX_TREE_SIZE} "
                "without leading zeros"
            )
        root = _b64decode(root_line)
        if root is None or len(root) != _ROOT_BYTES:
            raise malformed(f"the root hash is not the base64 of {_ROOT_BYTES} bytes")
        problem = _checkpoint_problem(origin, int(size_line), root, tuple(extensions))
        if problem:
            raise malformed(problem)
        return cls(origin, int(size_line), root, tuple(extensions))

    def format(self) -> str:
        """Return the checkpoint as note text, ready for ``sign``."""
        lines = (self.origin, str(self.size), _b64encode(self.root), *self.extensions)
        return "".join(f"{line}\n" for line in lines)
