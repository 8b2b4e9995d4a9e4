"""Verify an Affidavit evidence pack offline: no database, no server, no Affidavit.

    python verify_pack.py PACK.zip --key VKEY [--witness WKEY ...] [--witness-quorum N] [--json]

This one file is the auditor's verifier. It imports only the Python standard
library and ``cryptography``, never ``affidavit``: an auditor must be able to
read it whole and run it without trusting the system that made the pack. That
is why it re-implements what the ledger already has (RFC 6962 hashing and
inclusion proofs, C2SP signed notes and checkpoints, RFC 8785 canonical JSON)
and reads the zip itself (bounded, hostile-input-safe, and fast enough for
packs of 10^5 entries). Tests hold both implementations to the same answers.

What a pack proves (see docs/evidence-packs.md): every ``entries/<i>.json`` is
leaf ``i`` of the log's tree whose size and root the log key signed in
``checkpoint.note`` (and, if given, that enough witnesses cosigned it); every
payload file matches a SHA-256 its entry lists, or is erased by an included
``payload.erased`` entry; every ``policy/<hash>.cedar`` matches a bundle hash
the included decisions cite; and the pack holds exactly the files, byte for
byte, that ``manifest.json`` lists, a manifest the log key signed in
``manifest.note`` (so a file added, removed or changed by anyone without the
log key fails, presentation files included). ``timeline.html`` and
``README.txt`` are presentation: the manifest fixes their bytes, it does not
make what they say evidence.
"""

from __future__ import annotations

import argparse
import binascii
import bisect
import decimal
import gc
import hashlib
import json
import math
import mmap
import os
import re
import struct
import sys
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "PackError",
    "PackReport",
    "UsageError",
    "key_text",
    "main",
    "manifest_note_text",
    "verify",
]

FORMAT = "affidavit-evidence-pack/2"
"""/2: manifest.note (the manifest signed by the log key) is required."""
MAX_TOTAL_BYTES = 4 << 30
"""Cap on the sum of the members' uncompressed sizes (zip bombs)."""
MAX_MEMBERS = 5_000_000
MAX_SMALL_FILE = 64 << 20
"""Cap for a member read whole besides proofs.json (payloads are hashed in chunks)."""
MAX_NOTE_BYTES = 1 << 20
MAX_SIGNATURES = 100
_ALG_ED25519, _ALG_COSIGNATURE_V1 = 0x01, 0x04
_MAX_SAFE_INTEGER = 2**53 - 1
MANIFEST_NOTE_HEADER = "affidavit evidence pack manifest v1"
"""First line of the text the log key signs over a pack's manifest. It holds
spaces, which no signed-note key name (hence no checkpoint origin) may, and the
next line is not a tree size: no checkpoint parser accepts a manifest note, and
no checkpoint is a manifest note."""
_BATCH = 4096

FIXED_FILES = (
    "checkpoint.note",
    "verifier.key",
    "proofs.json",
    "manifest.json",
    "manifest.note",
    "README.txt",
    "timeline.html",
)
_ENTRY_NAME = re.compile(r"entries/(0|[1-9][0-9]{0,18})\.json")
_PAYLOAD_NAME = re.compile(r"payloads/([0-9a-f]{64})")
_ERASED_NAME = re.compile(r"payloads/([0-9a-f]{64})\.erased\.json")
_POLICY_NAME = re.compile(r"policy/([0-9a-f]{64})\.cedar")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_INDEX = re.compile(r"0|[1-9][0-9]{0,18}")
_LEDGER_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_BAD_TEXT_CHAR = re.compile(r"[\x00-\x09\x0b-\x1f]")
_BAD_NAME_CHAR = re.compile(
    r"[\x00-\x20+\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


class PackError(Exception):
    """The pack does not verify: ``file`` names the member (or the pack) that failed."""

    exit_code = 1

    def __init__(self, file: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message


class UsageError(Exception):
    """Bad arguments: a key that does not parse, a pack file that does not exist."""

    exit_code = 2


def _show(name: str) -> str:
    """A member name safe to print (hostile names may hold control characters)."""
    if name.isprintable() and len(name) <= 200:
        return name
    return json.dumps(name[:200])


# --- keys, signed notes, checkpoints (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature)


def _b64(value: str) -> bytes | None:
    """Canonical standard base64 only (a non-canonical spelling could hide an edit)."""
    try:
        raw = binascii.a2b_base64(value, strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    return raw if binascii.b2a_base64(raw, newline=False) == value.encode() else None


@dataclass(frozen=True)
class _Key:
    name: str
    key_id: int
    public: bytes
    text: str

    def verifies(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def _parse_key(text: str, alg: int, what: str) -> _Key:
    """``<name>+<key id hex>+<base64(alg || 32-byte Ed25519 key)>``; key id checked."""
    text = text.strip()
    name, _, rest = text.partition("+")
    key_id_hex, _, encoded = rest.partition("+")
    if not name or _BAD_NAME_CHAR.search(name) or not re.fullmatch(r"[0-9a-fA-F]{8}", key_id_hex):
        raise UsageError(f"the {what} is not of the form <name>+<8 hex digit key id>+<base64>")
    raw = _b64(encoded)
    if raw is None or len(raw) != 33:
        raise UsageError(f"the {what} does not hold the base64 of a type byte and 32 key bytes")
    if raw[0] != alg:
        kinds = {_ALG_ED25519: "an Ed25519 log key (type 1)", _ALG_COSIGNATURE_V1: "a witness key"}
        want = kinds[alg]
        raise UsageError(f"the {what} has type {raw[0]}; expected {want} (type {alg})")
    digest = hashlib.sha256(name.encode() + b"\n" + raw[:1] + raw[1:]).digest()
    key_id = int.from_bytes(digest[:4], "big")
    if key_id != int(key_id_hex, 16):
        raise UsageError(f"the {what} claims key id {key_id_hex} but its key gives {key_id:08x}")
    return _Key(name, key_id, raw[1:], text)


def _split_note(
    note: str, file: str = "checkpoint.note"
) -> tuple[str, list[tuple[str, int, bytes]]]:
    if _BAD_TEXT_CHAR.search(note):
        raise PackError(file, "holds control characters other than newline")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise PackError(file, "is not a signed note (text, blank line, signatures)")
    text, lines = note[: split + 1], note[split + 2 : -1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise PackError(file, f"has more than {MAX_SIGNATURES} signature lines")
    signatures = []
    for line in lines:
        name, space, encoded = line.removeprefix("\u2014 ").partition(" ")
        raw = _b64(encoded)
        if not line.startswith("\u2014 ") or not space or not name or raw is None or len(raw) < 5:
            raise PackError(file, "has a malformed signature line")
        signatures.append((name, int.from_bytes(raw[:4], "big"), raw[4:]))
    return text, signatures


@dataclass(frozen=True)
class _Checkpoint:
    origin: str
    size: int
    root: bytes
    cosigned: tuple[tuple[str, int], ...]  # (witness name, timestamp)


def _verify_checkpoint(note: str, log: _Key, witnesses: Sequence[_Key], quorum: int) -> _Checkpoint:
    text, signatures = _split_note(note)
    message = text.encode()
    signed = False
    cosigned: dict[str, int] = {}
    for name, key_id, signature in signatures:
        if (name, key_id) == (log.name, log.key_id):
            if len(signature) != 64 or not log.verifies(message, signature):
                raise PackError("checkpoint.note", "the log's signature does not verify")
            signed = True
        for w in witnesses:
            if (name, key_id) != (w.name, w.key_id):
                continue
            stamp = int.from_bytes(signature[:8], "big")
            cosigned_message = f"cosignature/v1\ntime {stamp}\n".encode() + message
            if len(signature) != 72 or stamp > 2**63 - 1:
                raise PackError(
                    "checkpoint.note", f"the cosignature by witness {name} is malformed"
                )
            if not w.verifies(cosigned_message, signature[8:]):
                raise PackError("checkpoint.note", f"the cosignature by witness {name} is invalid")
            cosigned[name] = stamp
    if not signed:
        raise PackError("checkpoint.note", "has no signature by the log key you gave")
    if len(cosigned) < quorum:
        raise PackError(
            "checkpoint.note",
            f"{len(cosigned)} of the {len(witnesses)} witnesses given cosigned it; "
            f"the quorum is {quorum}",
        )
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not re.fullmatch(r"0|[1-9][0-9]{0,19}", lines[1]):
        raise PackError("checkpoint.note", "is not a checkpoint (origin, tree size, root hash)")
    root = _b64(lines[2])
    if root is None or len(root) != 32 or int(lines[1]) > 2**64 - 1:
        raise PackError("checkpoint.note", "is not a checkpoint (origin, tree size, root hash)")
    if lines[0] != log.name:
        raise PackError("checkpoint.note", "its origin line is not the log key's name")
    return _Checkpoint(lines[0], int(lines[1]), root, tuple(sorted(cosigned.items())))


def manifest_note_text(origin: str, manifest_sha256: str) -> str:
    """The text the log key signs over a pack's manifest (``manifest.note``)."""
    return f"{MANIFEST_NOTE_HEADER}\norigin {origin}\nsha256 {manifest_sha256}\n"


def _verify_manifest_note(note: bytes, log: _Key, manifest_sha256: str) -> None:
    """``manifest.note`` must be one signature by the log key over ``manifest.json``'s hash.

    Exactly one signature line, so that no byte of the file can change unnoticed
    (Ed25519 signatures in ``cryptography`` are not malleable; base64 is canonical).
    """
    try:
        text, signatures = _split_note(note.decode("utf-8"), "manifest.note")
    except UnicodeDecodeError:
        raise PackError("manifest.note", "is not valid UTF-8") from None
    if len(signatures) != 1 or signatures[0][:2] != (log.name, log.key_id):
        raise PackError("manifest.note", "is not signed by the log key you gave (alone)")
    if len(signatures[0][2]) != 64 or not log.verifies(text.encode(), signatures[0][2]):
        raise PackError("manifest.note", "the log's signature does not verify")
    header, _, rest = text.partition("\n")
    if header != MANIFEST_NOTE_HEADER or not rest.startswith(f"origin {log.name}\nsha256 "):
        raise PackError("manifest.note", "is not a pack manifest signed for this log")
    if text != manifest_note_text(log.name, manifest_sha256):
        raise PackError(
            "manifest.json",
            "differs from the manifest the log key signed in manifest.note (the file was altered)",
        )


# --- RFC 6962 / RFC 9162 inclusion proofs


def _element(text: object) -> bytes | None:
    """A proof hash: the canonical base64 of 32 bytes."""
    if type(text) is not str or len(text) != 44:
        return None
    raw = _b64(text)
    return raw if raw is not None and len(raw) == 32 else None


_QUOTED_HASH = re.compile(rb'"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]="')
"""A proof hash as JSON text: the canonical base64 of 32 bytes (the last character
before the padding carries two zero bits), quoted."""


def _span_elements(buf: bytes, start: int, end: int) -> list[str] | None:
    """The quoted hashes in ``buf[start:end]`` as text, or None if not in the 47-byte layout."""
    if start == end:
        return []
    length = end - start + 1
    if length % 47:
        return None
    texts = []
    for at in range(start, end, 47):
        if buf[at] != 0x22 or buf[at + 45] != 0x22 or (at + 46 < end and buf[at + 46] != 0x2C):
            return None
        try:
            texts.append(buf[at + 1 : at + 45].decode("ascii"))
        except UnicodeDecodeError:
            return None
    return texts


def _proof_spans(buf: bytes, indices: list[int]) -> list[tuple[int, int]] | None:
    """Where each index's proof lies in proofs.json, if it is laid out as the exporter
    writes it: ``{"<i>":[...],...}``, compact, the keys exactly ``indices`` in order
    (so none is repeated). None otherwise: the caller parses it as JSON."""
    if buf[:1] != b"{" or buf[-1:] != b"}":
        return None
    spans, pos, last = [], 1, len(indices) - 1
    for number, index in enumerate(indices):
        key = b'"%d":[' % index
        if not buf.startswith(key, pos):
            return None
        start = pos + len(key)
        end = buf.find(b"]", start)
        if end < 0:
            return None
        spans.append((start, end))
        pos = end + 1
        if number < last:
            if buf[pos] != 0x2C:
                return None
            pos += 1
    return spans if pos == len(buf) - 1 else None


def _position(index: int, level: int, last: int) -> int:
    """Where the hash at ``level`` is in leaf ``index``'s proof in a tree whose last
    leaf is ``last``: one hash per level below, except where the path runs along the
    tree's right edge with no right sibling (RFC 9162 section 2.1.3.2 skips those).
    Below the highest bit where ``index`` and ``last`` differ every level has a
    sibling; above it, only the levels where the path's node is a right child do."""
    below = min(level, (index ^ last).bit_length())
    return below + bin((index >> below) & ((1 << (level - below)) - 1)).count("1")


class _Tree:
    """Inclusion proofs against one (size, root), checked in index order.

    A pack's proofs are first checked all at once (:meth:`check_all`: the tree the
    pack's leaves determine, hashed once, against proofs.json's bytes). When that
    does not hold, each is checked on its own, which names the entry that fails.
    A proof on its own costs log2(size) hashes (RFC 9162 section 2.1.3.2). But
    leaves i - 1 and i of a pack share every proof hash above the level L
    where their paths meet, so when i - 1 was proven, i is proven by hashing
    up to level L - 1 on each side (about one hash on average), checking the
    two sides name each other there, and comparing the rest of both proofs as
    text. Every hash of every proof is still used; a proof that fails this
    shortcut is checked on its own, which gives the verdict.
    """

    def __init__(self, size: int, root: bytes) -> None:
        self.size = size
        self.root = root
        self.previous: tuple[int, bytes, list[str]] | None = None
        self.previous_span: tuple[int, bytes, int, int] | None = None

    def check(self, index: int, leaf: bytes, proof: object) -> str:
        """Return "" if ``proof`` puts ``leaf`` at ``index``, else what is wrong."""
        if not isinstance(proof, list):
            return "its proof in proofs.json is not a list of base64 hashes"
        if not 0 <= index < self.size:
            return f"index {index} is outside the checkpoint's tree of size {self.size}"
        previous, self.previous = self.previous, None
        if previous is None or previous[0] != index - 1 or not self._follows(previous, leaf, proof):
            problem = self._alone(index, leaf, proof)
            if problem:
                return problem
        self.previous = (index, leaf, proof)
        return ""

    def _follows(
        self, previous: tuple[int, bytes, list[str]], leaf: bytes, proof: list[Any]
    ) -> bool:
        """Whether ``proof`` for leaf ``index`` agrees with the proven proof of ``index - 1``."""
        index, (_, left_leaf, left_proof) = previous[0] + 1, previous
        meet = (index ^ (index - 1)).bit_length()  # paths meet at level ``meet``
        below = meet - 1  # levels under the meeting point's children
        # left: below its child at level meet - 1 every sibling is on its left, all present
        # right: its siblings there are on its right, present while inside the tree
        right_count = min(below, (self.size - index - 1).bit_length())
        if len(proof) <= right_count or len(left_proof) <= below:
            return False
        left = left_leaf
        for text in left_proof[:below]:
            left = hashlib.sha256(b"\x01" + binascii.a2b_base64(text) + left).digest()
        right = leaf
        for text in proof[:right_count]:
            raw = _element(text)
            if raw is None:
                return False
            right = hashlib.sha256(b"\x01" + right + raw).digest()
        return (
            left_proof[below] == binascii.b2a_base64(right, newline=False).decode()
            and proof[right_count] == binascii.b2a_base64(left, newline=False).decode()
            and proof[right_count + 1 :] == left_proof[meet:]
        )

    def check_span(self, index: int, leaf: bytes, buf: bytes, start: int, end: int) -> str | None:
        """:meth:`check` for the proof at ``buf[start - 1 : end + 1]`` (``[...]``) as the
        exporter writes it (hashes ``"<44 base64 chars>"`` joined by commas, 47 bytes
        apart), read in place: no list of strings is built. None when the proof is not
        in that layout (the caller then reads proofs.json as JSON)."""
        if not 0 <= index < self.size:
            return f"index {index} is outside the checkpoint's tree of size {self.size}"
        previous, self.previous_span = self.previous_span, None
        if (
            previous is None
            or previous[0] != index - 1
            or not self._follows_span(previous, leaf, buf, start, end)
        ):
            proof = _span_elements(buf, start, end)
            if proof is None:
                return None
            problem = self._alone(index, leaf, proof)
            if problem:
                return problem
        self.previous_span = (index, leaf, start, end)
        return ""

    def _follows_span(
        self, previous: tuple[int, bytes, int, int], leaf: bytes, buf: bytes, start: int, end: int
    ) -> bool:
        """:meth:`_follows` on the bytes: hash ``i`` of a proof at ``start`` is
        ``buf[start + 47 i + 1 : start + 47 i + 45]``, between quotes, then a comma."""
        index, (_, left_leaf, left_start, left_end) = previous[0] + 1, previous
        meet = (index ^ (index - 1)).bit_length()
        below = meet - 1
        right_count = min(below, (self.size - index - 1).bit_length())
        length = end - start + 1
        if length % 47 or length // 47 <= right_count or (left_end - left_start + 1) // 47 <= below:
            return False
        sha256, a2b, b2a = hashlib.sha256, binascii.a2b_base64, binascii.b2a_base64
        left = left_leaf
        for at in range(left_start + 1, left_start + 47 * below, 47):  # proven: in layout
            left = sha256(b"\x01" + a2b(buf[at : at + 44]) + left).digest()
        right, quoted = leaf, _QUOTED_HASH.match
        for at in range(start, start + 47 * right_count, 47):
            if quoted(buf, at) is None or buf[at + 46] != 0x2C:
                return False
            right = sha256(b"\x01" + right + a2b(buf[at + 1 : at + 45])).digest()
        at = start + 47 * right_count  # must name ``left``, then the rest as i - 1's
        rest, left_rest = at + 47, left_start + 47 * meet
        return (
            buf[at : at + 46] == b'"' + b2a(left, newline=False) + b'"'
            and (rest > end or buf[at + 46] == 0x2C)
            and buf[left_start + 47 * below + 1 : left_start + 47 * below + 45]
            == b2a(right, newline=False)
            and buf[rest:end] == buf[left_rest:left_end]
            and (rest > end) == (left_rest > left_end)
        )

    def check_all(self, indices: list[int], leaves: list[bytes], buf: bytes) -> bool:
        """Whether proofs.json (``buf``) holds, in the exporter's layout, a proof that
        :meth:`_alone` accepts for every leaf ``leaves[j]`` at ``indices[j]`` (sorted,
        distinct). False says only that this shortcut does not hold: the caller then
        checks each proof on its own, which names the one that fails.

        n proofs checked one by one cost n log2(size) hashes. Here every interior
        node the pack's leaves determine is hashed once, level by level (about one
        hash per leaf); a sibling no included leaf determines is read once from the
        first proof that needs it; the tree of those nodes must give the signed
        root; and proofs.json must be byte for byte the text of every leaf's path
        through that tree. Each proof then holds exactly the siblings of its leaf's
        path, which hash up to the signed root: what :meth:`_alone` checks. (The
        converse, every accepted set of proofs taking this path, needs that no two
        different proofs of one leaf reach the same root: a SHA-256 collision.)
        """
        size = self.size
        if not indices:
            return buf == b"{}"
        if indices[0] < 0 or indices[-1] >= size or buf[:1] != b"{" or buf[-1:] != b"}":
            return False
        depth = (size - 1).bit_length()
        sha256, b2a, quoted = hashlib.sha256, binascii.b2a_base64, _QUOTED_HASH.match
        known: list[dict[int, bytes]] = [dict(zip(indices, leaves, strict=True))]
        paths: list[list[int]] = [indices]  # the nodes on included leaves' paths, by level
        spans: list[tuple[int, int]] | None = None  # found when a sibling must be read
        for level in range(depth):
            nodes, path, last = known[level], paths[level], (size - 1) >> level
            # a sibling no included leaf determines is read from the first proof naming it
            for k in [k for k in path if k ^ 1 not in nodes and k ^ 1 <= last]:
                sibling = k ^ 1
                if spans is None:
                    spans = _proof_spans(buf, indices)
                    if spans is None:
                        return False
                number = bisect.bisect_left(indices, k << level)  # the first leaf under k
                leaf_index, (start, end) = indices[number], spans[number]
                at = start + 47 * _position(leaf_index, level, size - 1)
                if at + 46 > end or quoted(buf, at) is None:
                    return False
                nodes[sibling] = binascii.a2b_base64(buf[at + 1 : at + 45])
            above = {
                k >> 1: sha256(b"\x01" + node + nodes[k + 1]).digest()
                for k, node in nodes.items()
                if not k & 1 and k + 1 in nodes
            }
            if not last & 1 and last in nodes:  # no right sibling: carried up as it is
                above[last >> 1] = nodes[last]
            known.append(above)
            paths.append(sorted({k >> 1 for k in path}))
        if known[depth].get(0) != self.root:
            return False
        # Every proof's text, from the root down: the suffix of a path node is its
        # sibling's hash (if it has one), then its parent's suffix.
        suffix: dict[int, bytes] = {0: b""}
        for level in range(depth - 1, 0, -1):
            nodes, last = known[level], (size - 1) >> level
            suffix = {
                k: (
                    b',"' + b2a(nodes[k ^ 1], newline=False) + b'"' + suffix[k >> 1]
                    if k ^ 1 <= last
                    else suffix[k >> 1]
                )
                for k in paths[level]
            }
            known[level], paths[level] = {}, []  # done with: less memory held
        leaf_nodes, last = known[0], size - 1
        pos, number = 1, 0
        while number < len(indices):
            chunk = [
                b'"%d":["%b"%b]' % (i, b2a(leaf_nodes[i ^ 1], newline=False), suffix[i >> 1])
                if i ^ 1 <= last
                else b'"%d":[%b]' % (i, suffix[i >> 1][1:])  # the last leaf, carried up
                for i in indices[number : number + _BATCH]
            ]
            text = b",".join(chunk)
            if number:  # the comma between two chunks
                if not buf.startswith(b",", pos):
                    return False
                pos += 1
            if not buf.startswith(text, pos):
                return False
            pos += len(text)
            number += _BATCH
        return pos == len(buf) - 1

    def _alone(self, index: int, leaf: bytes, proof: list[Any]) -> str:
        """RFC 9162 section 2.1.3.2."""
        fn, sn, node = index, self.size - 1, leaf
        for position, text in enumerate(proof):
            element = _element(text)
            if element is None:
                return f"hash {position} of its proof in proofs.json is not base64 of 32 bytes"
            if sn == 0:
                return "its proof in proofs.json has more hashes than the tree needs"
            if fn & 1 or fn == sn:
                node = hashlib.sha256(b"\x01" + element + node).digest()
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
            else:
                node = hashlib.sha256(b"\x01" + node + element).digest()
            fn, sn = fn >> 1, sn >> 1
        if sn != 0:
            return "its proof in proofs.json has fewer hashes than the tree needs"
        if node != self.root:
            return (
                "its proof in proofs.json does not lead to the signed root "
                "(the entry or its proof was altered)"
            )
        return ""


# --- RFC 8785 canonical JSON


class _Flags:
    def __init__(self) -> None:
        self.slow = False

    def parse_float(self, text: str) -> float:
        self.slow = True  # the ECMAScript number form is checked by the careful path
        return float(text)

    def parse_int(self, text: str) -> int:
        value = int(text)
        if abs(value) > _MAX_SAFE_INTEGER:
            self.slow = True
        return value


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _es6_number(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    if value == 0:
        return "0"
    sign, digits, exponent = decimal.Decimal(repr(value)).normalize().as_tuple()
    text, k = "".join(map(str, digits)), len(digits)
    n = k + int(exponent)
    if k <= n <= 21:
        body = text + "0" * (n - k)
    elif 0 < n <= 21:
        body = text[:n] + "." + text[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * -n + text
    else:
        mantissa = text[0] + ("." + text[1:] if k > 1 else "")
        body = f"{mantissa}e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    return ("-" if sign else "") + body


def _jcs(value: Any) -> str:
    """RFC 8785 text of a decoded JSON value (ValueError if it has none)."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(_jcs(k) + ":" + _jcs(value[k]) for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    if isinstance(value, str):
        value.encode("utf-8")  # lone surrogates have no UTF-8 form: UnicodeEncodeError
        return json.dumps(value, ensure_ascii=False)
    if value is True or value is False or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return _es6_number(float(value)) if abs(value) > _MAX_SAFE_INTEGER else str(value)
    return _es6_number(value)


class _EntryParser:
    """Parses entry files, checking each is one canonical JSON object."""

    def __init__(self) -> None:
        self.flags = _Flags()
        decoder = json.JSONDecoder(
            parse_float=self.flags.parse_float,
            parse_int=self.flags.parse_int,
            parse_constant=_reject_constant,
        )
        self.scan: Callable[[str, int], tuple[Any, int]] = decoder.scan_once  # type: ignore[attr-defined]
        self.encoder = json.JSONEncoder(
            sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
        )

    def parse(self, data: bytes) -> tuple[dict[str, Any], str, bool]:
        """(value, text, fast) or ValueError; ``fast``: json.dumps equals RFC 8785 here."""
        text = data.decode("utf-8")
        self.flags.slow = False
        try:
            value, end = self.scan(text, 0)
        except StopIteration:
            raise ValueError("is not JSON") from None
        except RecursionError:
            raise ValueError("nests too deeply") from None
        if end != len(text) or not isinstance(value, dict):
            raise ValueError("is not one JSON object")
        # json.dumps sorts keys by code point; RFC 8785 by UTF-16 unit: they differ
        # only for characters beyond U+FFFF (4-byte UTF-8 sequences).
        fast = not self.flags.slow and (data.isascii() or re.search(b"[\xf0-\xf4]", data) is None)
        if not fast and _jcs(value) != text:
            raise ValueError("is not canonical JSON (RFC 8785)")
        return value, text, fast

    def parse_many(self, datas: list[bytes]) -> list[dict[str, Any]] | None:
        """Parse entries from one text ``[e1,e2,...]``, proving each canonical, or None
        when that shortcut does not hold (then :meth:`parse` each, which names the bad one).

        Each entry is scanned at its own offset and must end exactly where its bytes
        do (joined texts alone could parse with other boundaries: ``{"a":"`` then
        ``"}``); then one encode of the whole list equals the joined text only if
        every entry equals its own encoding (each is a whole object, so the
        boundaries of both joins coincide).
        """
        joined = b"[" + b",".join(datas) + b"]"
        ascii_only = joined.isascii()
        if not ascii_only and re.search(b"[\xf0-\xf4]", joined) is not None:
            return None  # key order beyond U+FFFF: the careful path
        try:
            text = joined.decode("utf-8")
            lengths = [len(d) for d in datas] if ascii_only else [len(d.decode()) for d in datas]
        except UnicodeDecodeError:
            return None
        flags, scan = self.flags, self.scan
        flags.slow = False
        values = []
        pos = 1
        try:
            for length in lengths:
                value, end = scan(text, pos)
                if end != pos + length or type(value) is not dict:
                    return None
                values.append(value)
                pos = end + 1
        except (StopIteration, RecursionError, ValueError):
            return None
        if flags.slow or pos != len(text) or self.encoder.encode(values) != text:
            return None
        return values

    def all_canonical(self, values: list[dict[str, Any]], texts: list[str]) -> int:
        """Index of the first value whose json.dumps differs from its text, or -1.

        One encode of the whole list: each text was parsed alone to its end, so
        the joined texts equal the joined encodings only if each pair is equal.
        """
        if self.encoder.encode(values) == "[" + ",".join(texts) + "]":
            return -1
        for i, (value, text) in enumerate(zip(values, texts, strict=True)):
            if self.encoder.encode(value) != text:
                return i
        return -1


# --- the zip, read defensively


@dataclass(slots=True)
class _Member:
    name: str
    raw: bytes
    method: int
    crc: int
    compressed: int
    size: int
    offset: int
    start: int = 0


class _Zip:
    """A zip archive read through mmap with every size and offset checked.

    Refuses encryption, methods other than stored and deflate, duplicate or
    non-UTF-8 names, overlapping members, sizes beyond the caps, and members
    whose data does not decompress to exactly their declared size and CRC.
    """

    def __init__(self, path: str, label: str, max_total: int) -> None:
        self.label = label
        try:
            self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        except FileNotFoundError:
            raise UsageError(f"{label}: no such file") from None
        except OSError as exc:
            raise UsageError(f"{label}: cannot be read ({exc.strerror})") from None
        try:
            size = os.fstat(self._file.fileno()).st_size
            if size < 22:
                raise PackError(label, "is not a zip file")
            self.mm = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
            self.members = self._directory(size, max_total)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if getattr(self, "mm", None) is not None:
            self.mm.close()
        self._file.close()

    def _bad(self, why: str) -> PackError:
        return PackError(self.label, f"is not a well-formed zip file: {why}")

    def _directory(self, size: int, max_total: int) -> dict[str, _Member]:
        mm = self.mm
        end = mm.rfind(b"PK\x05\x06", max(0, size - 22 - 65535))
        if end < 0:
            raise PackError(self.label, "is not a zip file")
        _, disk, cd_disk, _, count, cd_size, cd_offset, comment = struct.unpack_from(
            "<4s4H2LH", mm, end
        )
        if end + 22 + comment != size or disk or cd_disk:
            raise self._bad("trailing data or a multi-disk archive")
        if count == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
            if end < 20 or mm[end - 20 : end - 16] != b"PK\x06\x07":
                raise self._bad("no zip64 end record")
            at = struct.unpack_from("<Q", mm, end - 12)[0]
            if at > end - 76 or mm[at : at + 4] != b"PK\x06\x06":
                raise self._bad("no zip64 end record")
            count, cd_size, cd_offset = struct.unpack_from("<3Q", mm, at + 32)
            end = at
        if count > MAX_MEMBERS:
            raise PackError(self.label, f"has more than {MAX_MEMBERS} files")
        if cd_offset + cd_size > end:
            raise self._bad("the central directory lies outside the file")
        members: dict[str, _Member] = {}
        header = struct.Struct("<4s4x2H4x3L5H4xL")
        pos, total, cd_end = cd_offset, 0, cd_offset + cd_size
        in_order, previous = True, -1  # as a zip writer places them: no sort needed
        for number in range(count):
            if pos + 46 > cd_end:
                raise self._bad("the central directory is truncated")
            sig, flags, method, crc, csize, usize, nlen, xlen, clen, disk_start, _, offset = (
                header.unpack_from(mm, pos)
            )
            name_end = pos + 46 + nlen
            if sig != b"PK\x01\x02" or name_end + xlen + clen > cd_end:
                raise self._bad("a central directory record is malformed")
            raw = mm[pos + 46 : name_end]
            try:
                name = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise PackError(
                    self.label, f"file name number {number + 1} is not valid UTF-8"
                ) from None
            if usize == 0xFFFFFFFF or csize == 0xFFFFFFFF or offset == 0xFFFFFFFF:
                extra = mm[name_end : name_end + xlen]
                usize, csize, offset = _zip64_sizes(extra, usize, csize, offset, self._bad)
            pos = name_end + xlen + clen
            if flags & 0x41 or method not in (0, 8) or disk_start:
                why = "is encrypted" if flags & 0x41 else f"uses compression method {method}"
                raise PackError(_show(name), why)
            if name in members:
                raise PackError(_show(name), "appears twice in the zip")
            total += usize
            if total > max_total:
                raise PackError(
                    self.label, f"would expand to more than {max_total} bytes (zip bomb?)"
                )
            members[name] = _Member(name, raw, method, crc, csize, usize, offset)
            if offset <= previous:
                in_order = False
            previous = offset
        placed = list(members.values())
        if not in_order:
            placed.sort(key=lambda m: m.offset)
        local = struct.Struct("<4s22xHH")
        limit = cd_offset
        for m in reversed(placed):
            at = m.offset
            if at + 30 > limit:
                raise PackError(_show(m.name), "overlaps another file in the zip")
            sig, nlen, xlen = local.unpack_from(mm, at)
            m.start = at + 30 + nlen + xlen
            if sig != b"PK\x03\x04" or mm[at + 30 : at + 30 + nlen] != m.raw:
                raise PackError(_show(m.name), "its local header does not match the directory")
            if m.start + m.compressed > limit:
                raise PackError(_show(m.name), "overlaps another file in the zip")
            limit = at
        return members

    def read(self, m: _Member, cap: int = MAX_SMALL_FILE) -> bytes:
        if m.size > cap:
            raise PackError(_show(m.name), f"is larger than {cap} bytes")
        raw = self.mm[m.start : m.start + m.compressed]
        if m.method == 8 and m.compressed <= 1 << 16:
            # small input, so bounded output (deflate expands at most 1032:1): one call
            try:
                raw = zlib.decompress(raw, -15, max(1, min(m.size, 1 << 16)))
            except zlib.error:
                raise PackError(_show(m.name), "its compressed data is corrupt") from None
        elif m.method == 8:
            d = zlib.decompressobj(-15)
            try:
                raw = d.decompress(raw, m.size + 1)
            except zlib.error:
                raise PackError(_show(m.name), "its compressed data is corrupt") from None
            if not d.eof:
                raise PackError(_show(m.name), "does not decompress to its declared size")
        if len(raw) != m.size:
            raise PackError(_show(m.name), "does not decompress to its declared size")
        if zlib.crc32(raw) != m.crc:
            raise PackError(_show(m.name), "its data does not match its CRC in the zip")
        return raw

    def sha256(self, m: _Member) -> str:
        """SHA-256 of a member's content, decompressed in chunks (payloads may be large)."""
        digest, crc, length = hashlib.sha256(), 0, 0
        raw = self.mm[m.start : m.start + m.compressed]
        d = zlib.decompressobj(-15) if m.method == 8 else None
        while True:
            if d is None:
                chunk, raw = raw, b""
            else:
                try:
                    chunk = d.decompress(raw, 1 << 20)
                except zlib.error:
                    raise PackError(_show(m.name), "its compressed data is corrupt") from None
                raw = d.unconsumed_tail
            length += len(chunk)
            if length > m.size:
                raise PackError(_show(m.name), "does not decompress to its declared size")
            digest.update(chunk)
            crc = zlib.crc32(chunk, crc)
            if d is None or d.eof or not chunk:
                break
        if length != m.size or crc != m.crc or (d is not None and not d.eof):
            raise PackError(_show(m.name), "its data does not match its size and CRC in the zip")
        return digest.hexdigest()


def _zip64_sizes(extra: bytes, usize: int, csize: int, offset: int, bad: Any) -> tuple[int, ...]:
    wanted = [usize == 0xFFFFFFFF, csize == 0xFFFFFFFF, offset == 0xFFFFFFFF]
    if not any(wanted):
        return usize, csize, offset
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<2H", extra, pos)
        if tag == 1 and length >= 8 * sum(wanted) and pos + 4 + length <= len(extra):
            values = iter(struct.unpack_from(f"<{sum(wanted)}Q", extra, pos + 4))
            current = (usize, csize, offset)
            return tuple(next(values) if w else v for w, v in zip(wanted, current, strict=True))
        pos += 4 + length
    raise bad("a zip64 size is missing")


# --- the pack


def _scope_text(scope: dict[str, str]) -> str:
    if "case" in scope:
        return f"case {_show(scope['case'])}"
    return f"entries from {scope['from']} to {scope['to']}"


@dataclass(frozen=True)
class PackReport:
    """What a pack proved."""

    pack: str
    log_key: str
    size: int
    root: bytes
    entries: int
    scope: dict[str, str]
    context_entries: int
    payloads: int
    erased: tuple[tuple[str, int], ...]
    """(payload SHA-256, index of the payload.erased entry that erased it)."""
    bundles: int
    bundles_published: int
    witnesses_given: int
    quorum: int
    cosigned: tuple[tuple[str, int], ...]
    """(witness name, cosignature time as POSIX seconds)."""
    files: int = 0
    """Files manifest.json lists (every file but manifest.json and manifest.note)."""

    def lines(self) -> list[str]:
        scope = _scope_text(self.scope)
        out = [
            f"ok: {self.pack} verified",
            f"  checkpoint: tree size {self.size}, root {self.root.hex()}, "
            f"signed by {self.log_key}",
            f"  entries: {self.entries} included in that tree ({scope}; "
            f"{self.context_entries} of them cited context: policy publications, erasures)",
            f"  payloads: {self.payloads} match the SHA-256 their entries list; "
            f"{len(self.erased)} erased, each by an included payload.erased entry",
        ]
        out += [f"    erased: {sha} by entry {index}" for sha, index in self.erased[:20]]
        out.append(
            f"  policy bundles: {self.bundles} match the hashes the decisions cite "
            f"({self.bundles_published} with their policy.published entry)"
        )
        if self.witnesses_given:
            out.append(
                f"  witnesses: {len(self.cosigned)} of {self.witnesses_given} given cosigned "
                f"(quorum {self.quorum})"
            )
            out += [
                f"    {name} at {datetime.fromtimestamp(t, UTC):%Y-%m-%dT%H:%M:%SZ}"
                for name, t in self.cosigned
            ]
        else:
            out.append("  witnesses: none given, so no cosignature was checked")
        out.append(
            f"  files: exactly the {self.files} that manifest.json lists, byte for byte; "
            "the log key signed that manifest (manifest.note)"
        )
        out.append(
            "  not evidence: timeline.html and README.txt (presentation: their bytes are as "
            "exported, what they say is proven only by the entries)"
        )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": True,
            "pack": self.pack,
            "log_key": self.log_key,
            "size": self.size,
            "root": self.root.hex(),
            "entries": self.entries,
            "scope": self.scope,
            "context_entries": self.context_entries,
            "payloads": self.payloads,
            "erased": [{"sha256": s, "erased_by": i} for s, i in self.erased],
            "bundles": self.bundles,
            "bundles_published": self.bundles_published,
            "witnesses_given": self.witnesses_given,
            "quorum": self.quorum,
            "cosigned": [{"witness": n, "time": t} for n, t in self.cosigned],
            "files": self.files,
        }


@dataclass(slots=True)
class _Entry:
    index: int
    type: str
    case: str | None
    time: str
    refs: list[str]
    cites: str | None = None  # proposal.created: the bundle hash of its decision
    publishes: str | None = None  # policy.published: its bundle hash
    erases: Sequence[tuple[int, str]] = ()  # payload.erased: (seq, sha)


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise ValueError("duplicate key")
    return value


def _parse_proofs(text: str) -> dict[str, Any]:
    """proofs.json as a dict; duplicate keys, NaN and Infinity are refused."""
    value = json.loads(text, object_pairs_hook=_unique_object, parse_constant=_reject_constant)
    if type(value) is not dict:
        raise ValueError("not an object")
    return value


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PackError(name, "is not valid UTF-8 JSON") from None


_ENTRY_KEYS = (
    ("actor", "body", "case", "time", "type"),
    ("actor", "body", "case", "payloads", "time", "type"),
)


_NO_REFS: list[str] = []  # shared, never changed


def _refs_ok(refs: object) -> bool:
    return type(refs) is list and all(type(r) is str and _SHA256_HEX.fullmatch(r) for r in refs)


def _entry_fields(index: int, value: dict[str, Any]) -> _Entry:
    """The fields the pack's cross-checks need; PackError if it is not a ledger entry."""
    refs = value.get("payloads", _NO_REFS)
    kind, case, time = value.get("type"), value.get("case"), value.get("time")
    if (
        tuple(value) not in _ENTRY_KEYS
        or type(value["actor"]) is not str
        or type(value["body"]) is not dict
        or not (case is None or type(case) is str)
        or type(kind) is not str
        or type(time) is not str
        or (refs and not _refs_ok(refs))
    ):
        raise PackError(
            f"entries/{index}.json", "is not a ledger entry (actor, body, case, time, type)"
        )
    entry = _Entry(index, kind, case, time, refs)
    if kind in ("proposal.created", "policy.published", "payload.erased"):
        _cross_references(entry, value["body"])
    return entry


def _cross_references(entry: _Entry, body: dict[str, Any]) -> None:
    name = f"entries/{entry.index}.json"
    try:
        if entry.type == "proposal.created":
            entry.cites = _hash_field(body["decision"]["bundle_hash"])
        elif entry.type == "policy.published":
            entry.publishes = _hash_field(body["bundle_hash"])
            if entry.publishes not in entry.refs:
                raise PackError(name, "its bundle_hash is not the SHA-256 of its payload")
        else:
            entry.erases = [(int(p["seq"]), _hash_field(p["sha256"])) for p in body["payloads"]]
    except (KeyError, TypeError, ValueError):
        raise PackError(name, f"is not a well-formed {entry.type} entry") from None


def _hash_field(value: object) -> str:
    if not isinstance(value, str) or not _SHA256_HEX.fullmatch(value):
        raise ValueError("not a SHA-256")
    return value


class _Verifier:
    def __init__(self, z: _Zip, log: _Key, witnesses: Sequence[_Key], quorum: int) -> None:
        self.z, self.log, self.witnesses, self.quorum = z, log, witnesses, quorum
        self.listed: dict[str, str] = {}
        self.checkpoint: tuple[int, bytes | None] = (-1, None)  # as manifest.json names it
        self.entries: dict[int, _Entry] = {}

    def read(self, name: str, cap: int = MAX_SMALL_FILE) -> bytes:
        data = self.z.read(self.z.members[name], cap)
        self.against_manifest(name, hashlib.sha256(data).hexdigest())
        return data

    def against_manifest(self, name: str, digest: str) -> None:
        if self.listed.get(name) != digest:
            raise PackError(
                _show(name),
                "differs from the SHA-256 manifest.json lists for it (the file was altered)",
            )

    def run(self) -> PackReport:
        entry_files, payload_files, erased_files, policy_files = self.classify()
        members = self.z.members
        key_bytes = self.z.read(members["verifier.key"], MAX_NOTE_BYTES)
        if key_bytes.decode("utf-8", "replace").strip() != self.log.text:
            raise PackError("verifier.key", "is not the log key you gave with --key")
        # The signed manifest first: from here on, every file is held to it.
        manifest_bytes = self.z.read(members["manifest.json"])
        _verify_manifest_note(
            self.z.read(members["manifest.note"], MAX_NOTE_BYTES),
            self.log,
            hashlib.sha256(manifest_bytes).hexdigest(),
        )
        scope = self.manifest(_json(manifest_bytes, "manifest.json"))
        self.against_manifest("verifier.key", hashlib.sha256(key_bytes).hexdigest())
        note_bytes = self.read("checkpoint.note", MAX_NOTE_BYTES)
        try:
            note = note_bytes.decode("utf-8")
        except UnicodeDecodeError:
            raise PackError("checkpoint.note", "is not valid UTF-8") from None
        checkpoint = _verify_checkpoint(note, self.log, self.witnesses, self.quorum)
        if self.checkpoint != (checkpoint.size, checkpoint.root):
            raise PackError("manifest.json", "names another checkpoint than checkpoint.note")
        proofs = self.read("proofs.json", self.z.members["proofs.json"].size)
        self.check_entries(entry_files, proofs, _Tree(checkpoint.size, checkpoint.root))
        payloads, erased = self.check_payloads(payload_files, erased_files)
        bundles, published = self.check_policies(policy_files)
        context = self.check_scope(scope, erased)
        for name in ("README.txt", "timeline.html"):
            self.against_manifest(name, self.z.sha256(self.z.members[name]))
        return PackReport(
            pack=self.z.label,
            log_key=f"{self.log.name}+{self.log.key_id:08x}",
            size=checkpoint.size,
            root=checkpoint.root,
            entries=len(self.entries),
            scope=scope,
            context_entries=context,
            payloads=payloads,
            erased=tuple(sorted(erased.items())),
            bundles=bundles,
            bundles_published=published,
            witnesses_given=len(self.witnesses),
            quorum=self.quorum,
            cosigned=checkpoint.cosigned,
            files=len(self.listed),
        )

    def classify(self) -> tuple[dict[int, str], dict[str, str], dict[str, str], dict[str, str]]:
        entries: dict[int, str] = {}
        payloads: dict[str, str] = {}
        erased: dict[str, str] = {}
        policies: dict[str, str] = {}
        if not self.z.members:
            raise PackError(self.z.label, "is an empty zip, not an evidence pack")
        for name in self.z.members:
            # the patterns admit only safe relative paths; the rest is refused below
            if m := _ENTRY_NAME.fullmatch(name):
                entries[int(m[1])] = name
            elif name in FIXED_FILES:
                continue
            elif m := _PAYLOAD_NAME.fullmatch(name):
                payloads[m[1]] = name
            elif m := _ERASED_NAME.fullmatch(name):
                erased[m[1]] = name
            elif m := _POLICY_NAME.fullmatch(name):
                policies[m[1]] = name
            else:
                parts = name.replace("\\", "/").split("/")
                if name.startswith("/") or ":" in parts[0] or {"", ".", ".."} & set(parts):
                    raise PackError(
                        _show(name), "is an unsafe path (absolute or with '..'); refused"
                    )
                raise PackError(_show(name), "is not a file an evidence pack holds")
        for name in FIXED_FILES:
            if name not in self.z.members:
                raise PackError(name, "is missing from the pack")
        return entries, payloads, erased, policies

    def manifest(self, manifest: object) -> dict[str, str]:
        if not (
            isinstance(manifest, dict)
            and manifest.get("format") == FORMAT
            and isinstance(manifest.get("files"), dict)
            and isinstance(manifest.get("scope"), dict)
        ):
            raise PackError("manifest.json", f"is not a {FORMAT} manifest")
        files = manifest["files"]
        members, own = self.z.members, {"manifest.json", "manifest.note"}
        if not (  # what the loop below checks, as set operations (10^5 files)
            members.keys() - files.keys() == own
            and files.keys() <= members.keys()
            and {type(digest) for digest in files.values()} == {str}
        ):
            self._file_list(files)
        self.listed = files
        named = manifest.get("checkpoint")
        if isinstance(named, dict) and isinstance(named.get("size"), int):
            root = named.get("root")
            self.checkpoint = (named["size"], _b64(root) if isinstance(root, str) else None)
        scope = manifest["scope"]
        if set(scope) == {"case"} and isinstance(scope["case"], str):
            return {"case": scope["case"]}
        times = [scope.get("from"), scope.get("to")]
        if set(scope) == {"from", "to"} and all(
            isinstance(t, str) and _LEDGER_TIME.fullmatch(t) for t in times
        ):
            return {"from": scope["from"], "to": scope["to"]}
        raise PackError("manifest.json", "its scope is neither a case nor a period")

    def _file_list(self, files: dict[str, Any]) -> None:
        """manifest.json's file list against the zip's, naming the first file that differs."""
        for name in self.z.members:
            if name not in files and name not in ("manifest.json", "manifest.note"):
                raise PackError(
                    _show(name), "is not listed in manifest.json (it was added to the pack)"
                )
        for name, digest in files.items():
            if name in ("manifest.json", "manifest.note"):
                raise PackError("manifest.json", "lists a file it cannot vouch for")
            if name not in self.z.members:
                raise PackError(
                    _show(name), "is listed in manifest.json but missing from the pack (removed)"
                )
            if not isinstance(digest, str):
                raise PackError("manifest.json", f"lists no SHA-256 for {_show(name)}")

    def proofs_json(self, data: bytes, files: dict[int, str]) -> dict[str, Any]:
        """proofs.json parsed as JSON: the general path, and the one that names what is wrong."""
        try:
            proofs = _parse_proofs(data.decode("utf-8", "replace"))
        except (ValueError, RecursionError):
            raise PackError("proofs.json", "is not a JSON object of proofs") from None
        for key in proofs:
            if not _INDEX.fullmatch(key):
                raise PackError("proofs.json", "has a key that is not an entry index")
            if int(key) not in files:
                raise PackError(f"entries/{key}.json", "is missing (proofs.json holds its proof)")
        return proofs

    def check_entries(self, files: dict[int, str], proofs_data: bytes, tree: _Tree) -> None:
        indices = sorted(files)  # in index order: the tree checks rely on it
        if self._entries_at_once(files, indices, proofs_data, tree):
            return
        # Something differs (or is not laid out as the exporter writes it): entry by
        # entry, in the same order of checks, naming the first file that fails.
        # proofs.json as the exporter lays it out is read in place (no 10^6 strings);
        # anything else, or a proof that fails there, goes through the JSON parser.
        spans = _proof_spans(proofs_data, indices)
        proofs = self.proofs_json(proofs_data, files) if spans is None else None
        parser = _EntryParser()
        batch: list[tuple[int, bytes]] = []
        members, listed, sha256 = self.z.members, self.listed, hashlib.sha256
        mm, crc32 = self.z.mm, zlib.crc32
        for number, index in enumerate(indices):
            name = files[index]
            m = members[name]
            if m.method == 0 and m.compressed == m.size and m.size <= MAX_SMALL_FILE:
                data = mm[m.start : m.start + m.size]  # stored: read in place
                if crc32(data) != m.crc:
                    raise PackError(_show(name), "its data does not match its CRC in the zip")
            else:
                data = self.z.read(m)
            if listed.get(name) != sha256(data).hexdigest():
                self.against_manifest(name, "")
            leaf = sha256(b"\x00" + data).digest()
            problem: str | None = None
            if spans is not None:
                start, end = spans[number]
                problem = tree.check_span(index, leaf, proofs_data, start, end)
                if problem is None:  # not in the exporter's layout: read it as JSON
                    spans, proofs = None, self.proofs_json(proofs_data, files)
            if proofs is not None:
                proof = proofs.get(str(index))
                if proof is None:
                    raise PackError("proofs.json", f"has no proof for {name}")
                problem = tree.check(index, leaf, proof)
            if problem:
                raise PackError(name, f"is not in the signed tree: {problem}")
            batch.append((index, data))
            if len(batch) >= _BATCH:
                self._parse(parser, batch)
        self._parse(parser, batch)

    def _entries_at_once(
        self, files: dict[int, str], indices: list[int], proofs_data: bytes, tree: _Tree
    ) -> bool:
        """The checks of :meth:`check_entries` on all entries at once (each is a
        comparison of two lists, or the tree's :meth:`_Tree.check_all`), for packs
        whose entries are stored, not compressed, as the exporter writes them. True
        if the entries' files, CRCs, manifest hashes and proofs all hold (then the
        entries are parsed); False if any does not, with nothing reported: the
        entry-by-entry path then finds and names it."""
        members, mm, sha256 = self.z.members, self.z.mm, hashlib.sha256
        names = [files[i] for i in indices]
        placed = [members[name] for name in names]
        if not all(
            m.method == 0 and m.compressed == m.size and m.size <= MAX_SMALL_FILE for m in placed
        ):
            return False
        datas = [mm[m.start : m.start + m.size] for m in placed]
        if list(map(zlib.crc32, datas)) != [m.crc for m in placed] or [
            sha256(data).hexdigest() for data in datas
        ] != list(map(self.listed.get, names)):
            return False
        leaves = [sha256(b"\x00" + data).digest() for data in datas]
        del datas  # read again below, a batch at a time: less memory while the tree is built
        if not tree.check_all(indices, leaves, proofs_data):
            return False
        parser, entries = _EntryParser(), self.entries
        for start in range(0, len(indices), _BATCH):
            numbers = indices[start : start + _BATCH]
            texts = [mm[m.start : m.start + m.size] for m in placed[start : start + _BATCH]]
            values = parser.parse_many(texts)
            if values is None:  # the careful path names the entry
                self._parse(parser, list(zip(numbers, texts, strict=True)))
                continue
            entries.update(zip(numbers, map(_entry_fields, numbers, values), strict=True))
        return True

    def _parse(self, parser: _EntryParser, batch: list[tuple[int, bytes]]) -> None:
        """Parse a batch of proven entries (canonical JSON) into their fields."""
        entries = self.entries
        values = parser.parse_many([data for _, data in batch]) if batch else []
        if values is not None:
            for (index, _), value in zip(batch, values, strict=True):
                entries[index] = _entry_fields(index, value)
            batch.clear()
            return
        for index, data in batch:  # one of them is not canonical, or needs the careful path
            name = f"entries/{index}.json"
            try:
                value, text, fast = parser.parse(data)
            except (UnicodeDecodeError, ValueError) as exc:
                why = "is not valid UTF-8" if isinstance(exc, UnicodeDecodeError) else str(exc)
                raise PackError(name, why) from None
            entries[index] = _entry_fields(index, value)
            if fast and parser.all_canonical([value], [text]) >= 0:
                raise PackError(name, "is not canonical JSON (RFC 8785)")
        batch.clear()

    def check_payloads(
        self, files: dict[str, str], erased_files: dict[str, str]
    ) -> tuple[int, dict[str, int]]:
        listed: dict[str, list[int]] = {}
        for e in self.entries.values():
            for ref in e.refs:
                listed.setdefault(ref, []).append(e.index)
        for sha, name in {**files, **erased_files}.items():
            if sha not in listed:
                raise PackError(name, "is not a payload of any entry in the pack")
        erased: dict[str, int] = {}
        for sha, users in listed.items():
            where = f"entries/{users[0]}.json"
            if sha in files and sha in erased_files:
                raise PackError(erased_files[sha], f"says erased, but {files[sha]} is present")
            if sha in files:
                digest = self.z.sha256(self.z.members[files[sha]])
                self.against_manifest(files[sha], digest)
                if digest != sha:
                    raise PackError(
                        files[sha], f"its content does not match its SHA-256 ({where} lists it)"
                    )
            elif sha in erased_files:
                erased[sha] = self.erasure(erased_files[sha], sha, users)
            else:
                raise PackError(f"payloads/{sha}", f"is missing ({where} lists it)")
        return len(listed) - len(erased), erased

    def erasure(self, name: str, sha: str, users: list[int]) -> int:
        marker = _json(self.read(name), name)
        by = marker.get("erased_by") if isinstance(marker, dict) else None
        if not isinstance(by, int) or isinstance(by, bool) or marker.get("sha256") != sha:
            raise PackError(name, "is not an erasure marker (sha256, erased_by)")
        entry = self.entries.get(by)
        if entry is None or entry.type != "payload.erased":
            raise PackError(name, f"names entry {by}, which is not a payload.erased entry here")
        if not any((seq, sha) in entry.erases for seq in users):
            raise PackError(name, f"entry {by} did not erase this payload of these entries")
        return by

    def check_policies(self, files: dict[str, str]) -> tuple[int, int]:
        cited = {e.cites: e.index for e in self.entries.values() if e.cites}
        published = {e.publishes for e in self.entries.values() if e.publishes}
        for sha, name in files.items():
            if sha not in cited and sha not in published:
                raise PackError(name, "is not a bundle any entry in the pack cites or publishes")
            digest = self.z.sha256(self.z.members[name])
            self.against_manifest(name, digest)
            if digest != sha:
                raise PackError(name, "its text does not match the bundle hash it is named by")
        for sha, index in cited.items():
            if sha not in files:
                raise PackError(
                    f"policy/{sha}.cedar", f"is missing (entries/{index}.json cites it)"
                )
        return len(files), len(published & set(files))

    def check_scope(self, scope: dict[str, str], erased: dict[str, int]) -> int:
        """Every entry is in scope, or context an in-scope entry cites; return the context count."""

        entries = self.entries.values()
        if "case" in scope:
            case = scope["case"]
            context = [e for e in entries if e.case != case]
            cited = {e.cites for e in entries if e.cites and e.case == case}
        else:
            start, end = scope["from"], scope["to"]
            context = [e for e in entries if not start <= e.time < end]
            cited = {e.cites for e in entries if e.cites and start <= e.time < end}
        erasures = set(erased.values())
        for e in context:
            if e.publishes not in cited and e.index not in erasures:
                raise PackError(
                    "manifest.json",
                    f"its scope ({_scope_text(scope)}) excludes entries/{e.index}.json, "
                    "which no entry in scope cites",
                )
        return len(context)


def verify(
    pack: str | os.PathLike[str],
    key: str,
    witnesses: Sequence[str] = (),
    quorum: int | None = None,
    *,
    max_total: int = MAX_TOTAL_BYTES,
) -> PackReport:
    """Verify the pack at ``pack`` with the log's verifier ``key`` (text).

    Raises :class:`UsageError` for bad arguments and :class:`PackError` naming
    the first file that does not verify.
    """
    log = _parse_key(key, _ALG_ED25519, "log verifier key")
    parsed = [
        _parse_key(w, _ALG_COSIGNATURE_V1, f"witness key {i + 1}") for i, w in enumerate(witnesses)
    ]
    if len({(w.name, w.key_id) for w in parsed}) != len(parsed):
        raise UsageError("the same witness key is given twice")
    quorum = len(parsed) if quorum is None else quorum
    if not 0 <= quorum <= len(parsed):
        raise UsageError(f"the witness quorum must be between 0 and {len(parsed)}")
    path = os.fspath(pack)
    z = _Zip(path, _show(os.path.basename(path)), max_total)
    # Parsing 10^5 entries allocates millions of acyclic objects; the cycle
    # collector would walk them again and again for nothing (about 20% of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Verifier(z, log, parsed, quorum).run()
    finally:
        if collecting:
            gc.enable()
        z.close()


def key_text(value: str) -> str:
    """A key given as text, or as the path of a file holding it."""
    if os.path.isfile(value):
        try:
            with open(value, encoding="utf-8") as f:
                return f.read(4096).strip()
        except (OSError, UnicodeDecodeError):
            raise UsageError("the key file cannot be read as UTF-8 text") from None
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: prints what was proven, or ``error: <file>: <what differs>``."""
    parser = argparse.ArgumentParser(
        prog="verify_pack.py", description="Verify an Affidavit evidence pack offline."
    )
    parser.add_argument("pack", help="the evidence pack (.zip)")
    parser.add_argument("--key", required=True, help="the log's verifier key, or a file with it")
    parser.add_argument("--witness", action="append", default=[], help="a witness key (repeat)")
    parser.add_argument("--witness-quorum", type=int, default=None, help="default: all given")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    try:
        report = verify(
            args.pack,
            key_text(args.key),
            [key_text(w) for w in args.witness],
            args.witness_quorum,
        )
    except (PackError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # a verifier fails closed, with one line, never a traceback
        print(
            f"error: {_show(os.path.basename(args.pack))}: not verified ({type(exc).__name__})",
            file=sys.stderr,
        )
        return 1
    try:
        if args.json:
            print(json.dumps(report.to_json(), indent=2, sort_keys=True))
        else:
            print("\n".join(report.lines()))
    except BrokenPipeError:  # the reader (e.g. `| head`) left: the verdict is the exit code
        sys.stderr.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
