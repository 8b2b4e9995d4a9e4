"""RFC 6962 / RFC 9162 Merkle tree hashes, inclusion and consistency proofs.

Pure functions over SHA-256, standard library only. Leaf indices are 0-based.

One algorithm serves both a list of leaf hashes in memory and the ledger's
store. A proof is described first as leaf *ranges* (``inclusion_ranges``,
``consistency_ranges``); each range's Merkle Tree Hash (MTH) is the right fold
(``fold_subtrees``) of the complete, aligned subtrees the range splits into
(``range_subtrees``). A subtree ``(level, index)`` covers leaves
``[index << level, (index + 1) << level)``; level 0 is a leaf. The store keeps
the hash of every complete subtree, so a proof for a log of any size costs one
query for O(log n) rows: at most one proof range reaches the tree's right edge
and is incomplete (splitting into <= log2(n) subtrees); all others are complete.
The list-based functions below compute the same subtree hashes from the list.

The writer and the streaming verifier extend the tree in O(log n) memory with a
*frontier*: the complete subtrees of the tree so far, left to right, as
``(level, hash)`` pairs (``frontier_append``, ``frontier_root``). The frontier
of a tree of size n is exactly ``range_subtrees(0, n)``, so a writer restarts
by loading those hashes.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 and raises
``VerificationError`` on any mismatch, including nonsensical sizes or indices
(proofs come from untrusted parties). Choices the RFCs leave open:

* Consistency from size 0 (RFC 6962: trivially true): the proof must be empty
  and ``old_root`` must be the empty-tree hash SHA-256(b""); ``new_root`` is not
  constrained, except that it too must be the empty-tree hash when new_size is 0.
* Consistency with old_size == new_size: the proof must be empty and the roots equal.
* Every hash (leaf hash, root, proof element) must be 32 bytes.

A root does not commit to the tree size: a proof can verify for another size
whose tree has the same shape along the proven path. Callers must take size
and root together from one signed checkpoint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from affidavit.errors import InputError, VerificationError

__all__ = [
    "consistency_proof",
    "consistency_ranges",
    "fold_subtrees",
    "frontier_append",
    "frontier_root",
    "inclusion_proof",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "range_subtrees",
    "root",
    "subtrees_completed_by",
    "verify_consistency",
    "verify_inclusion",
]

_HASH_SIZE = 32
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_EMPTY_ROOT = hashlib.sha256(b"").digest()
_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 6962 leaf hash SHA-256(0x00 || data)."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior node hash SHA-256(0x01 || left || right)."""
    _require_hash_input(left, "left child hash")
    _require_hash_input(right, "right child hash")
    return _sha256(_NODE_PREFIX + left + right).digest()


# --- proof shapes ---------------------------------------------------------------
#
# Why every range below is accepted by range_subtrees: the RFC 6962 recursion
# splits a range [lo, hi) of n = hi - lo > 1 leaves at lo + k, k the largest power
# of two below n. Invariant: lo is a multiple of bit_ceil(n) (true for [0, size)).
# The left child has k leaves and k divides bit_ceil(n), hence lo. The right child
# has n - k <= k leaves and starts at lo + k; bit_ceil(n - k) divides k and lo.
# So the invariant holds for every range in the recursion. Proof ranges are such
# ranges (a sibling met on the way down, or the range where the descent stops),
# and range_subtrees needs only the weaker condition that the largest power of
# two <= n divides lo.


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges [lo, hi) whose MTHs form the inclusion proof of leaf ``index``, in proof order.

    This is RFC 6962 PATH(index, D[0:size]): siblings of the path from the leaf
    up to the root, nearest the leaf first.
    """
    if not 0 <= index < size:
        raise InputError(f"Leaf index {index} is outside a tree of size {size}.")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        split = lo + _largest_power_of_two_below(hi - lo)
        if index < split:
            ranges.append((split, hi))
            hi = split
        else:
            ranges.append((lo, split))
            lo = split
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Leaf ranges [lo, hi) whose MTHs form the consistency proof old_size -> new_size.

    This is RFC 6962 PROOF(old_size, D[0:new_size]) via SUBPROOF, in proof order.
    Empty when old_size is 0 or equal to new_size.
    """
    if not 0 <= old_size <= new_size:
        raise InputError(
            f"Cannot prove consistency from size {old_size} to size {new_size}; "
            "sizes must satisfy 0 <= old_size <= new_size."
        )
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, new_size
    # SUBPROOF's flag b. Still true at the end iff the old tree is itself a node of the new
    # tree; the verifier has that hash (the old root), so the proof leaves it out.
    old_root_is_a_node = True
    while old_size != hi:
        split = lo + _largest_power_of_two_below(hi - lo)
        if old_size <= split:
            ranges.append((split, hi))
            hi = split
        else:
            ranges.append((lo, split))
            lo = split
            old_root_is_a_node = False
    if not old_root_is_a_node:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def range_subtrees(lo: int, hi: int) -> list[tuple[int, int]]:
    """Split [lo, hi) into the complete aligned subtrees its MTH is built from, left to right.

    Returns ``(level, index)`` pairs, largest first; ``fold_subtrees`` of their
    hashes is MTH(D[lo:hi]). Raises ``InputError`` if the range has no such split
    (it is empty, or lo is not a multiple of the largest power of two <= hi - lo).
    """
    count = hi - lo
    if lo < 0 or count <= 0 or lo % (1 << (count.bit_length() - 1)):
        raise InputError(f"Leaf range [{lo}, {hi}) is not a range of an RFC 6962 tree.")
    subtrees: list[tuple[int, int]] = []
    start = lo
    for level in range(count.bit_length() - 1, -1, -1):
        if count >> level & 1:
            subtrees.append((level, start >> level))
            start += 1 << level
    return subtrees


def fold_subtrees(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its subtree hashes, left to right: node_hash(h0, node_hash(h1, ...))."""
    if not hashes:
        raise InputError("Cannot fold an empty list of subtree hashes.")
    for position, value in enumerate(hashes):
        _require_hash_input(value, f"subtree hash {position}")
    folded = hashes[-1]
    for value in reversed(hashes[:-1]):
        folded = _sha256(_NODE_PREFIX + value + folded).digest()
    return folded


# --- list-based tree functions (DESIGN §6.2) -------------------------------------


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of the tree with these leaf hashes; the empty tree's root is SHA-256(b"")."""
    _require_leaf_hashes(leaf_hashes)
    if not leaf_hashes:
        return _EMPTY_ROOT
    return _range_hash(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 6962 inclusion proof for leaf ``index`` in the tree of all these leaf hashes."""
    _require_leaf_hashes(leaf_hashes)
    ranges = inclusion_ranges(index, len(leaf_hashes))
    return [_range_hash(leaf_hashes, lo, hi) for lo, hi in ranges]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """RFC 6962 consistency proof from the first ``old_size`` leaves to all of them."""
    _require_leaf_hashes(leaf_hashes)
    ranges = consistency_ranges(old_size, len(leaf_hashes))
    return [_range_hash(leaf_hashes, lo, hi) for lo, hi in ranges]


def _range_hash(leaf_hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    subtree_hashes = [
        _complete_subtree_hash(leaf_hashes[index << level : (index + 1) << level])
        for level, index in range_subtrees(lo, hi)
    ]
    return fold_subtrees(subtree_hashes)


def _complete_subtree_hash(leaves: Sequence[bytes]) -> bytes:
    # Bottom-up, one level at a time: the count is a power of two, so pairs always match up.
    layer = list(leaves)
    while len(layer) > 1:
        layer = [
            _sha256(_NODE_PREFIX + left + right).digest()
            for left, right in zip(layer[0::2], layer[1::2], strict=True)
        ]
    return layer[0]


# --- frontier: append-only extension in O(log n) memory -------------------------


def subtrees_completed_by(leaf_index: int) -> list[tuple[int, int]]:
    """Subtrees ``(level, index)`` with level >= 1 that appending leaf ``leaf_index`` completes.

    Increasing level; one per trailing 1-bit of ``leaf_index``.
    """
    if leaf_index < 0:
        raise InputError(f"Leaf index {leaf_index} is negative.")
    completed: list[tuple[int, int]] = []
    level = 1
    while (leaf_index >> (level - 1)) & 1:
        completed.append((level, leaf_index >> level))
        level += 1
    return completed


def frontier_append(
    frontier: list[tuple[int, bytes]], leaf_hash: bytes, leaf_index: int | None = None
) -> list[tuple[int, int, bytes]]:
    """Append one leaf hash to ``frontier`` in place, merging the subtrees it completes.

    ``frontier`` is the list of complete subtrees of the tree so far, left to
    right, as ``(level, hash)``; start from ``[]``. Returns the newly completed
    subtrees with level >= 1 as ``(level, index, hash)``, increasing level: the
    ones ``subtrees_completed_by`` names for this leaf.

    ``leaf_index`` (the number of leaves already in ``frontier``) may be passed
    by callers that track it, such as the ledger writer and the streaming
    verifier; it saves re-deriving it on every append, their hot path.
    """
    if leaf_index is None:
        _require_hash_input(leaf_hash, "leaf hash")
        leaf_index = _frontier_size(frontier)
    completed: list[tuple[int, int, bytes]] = []
    level, merged = 0, leaf_hash
    while frontier and frontier[-1][0] == level:
        _, left = frontier.pop()
        merged = _sha256(_NODE_PREFIX + left + merged).digest()
        level += 1
        completed.append((level, leaf_index >> level, merged))
    frontier.append((level, merged))
    return completed


def frontier_root(frontier: Sequence[tuple[int, bytes]]) -> bytes:
    """MTH of all leaves appended to ``frontier``; SHA-256(b"") for an empty frontier."""
    _frontier_size(frontier)
    if not frontier:
        return _EMPTY_ROOT
    return fold_subtrees([value for _, value in frontier])


def _frontier_size(frontier: Sequence[tuple[int, bytes]]) -> int:
    size = 0
    previous_level = None
    for level, _ in frontier:
        if level < 0 or (previous_level is not None and level >= previous_level):
            raise InputError("Frontier levels must be non-negative and strictly decreasing.")
        previous_level = level
        size += 1 << level
    return size


# --- verification (RFC 9162 §2.1.3.2, §2.1.4.2) -----------------------------------


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``proof`` shows ``leaf_hash`` at ``index`` in the tree (``size``, ``root``).

    Returns None on success, raises ``VerificationError`` naming what did not match.
    """
    _require_hash(leaf_hash, "leaf hash")
    _require_hash(root, "root")
    _require_proof_hashes(proof)
    if not 0 <= index < size:
        raise VerificationError(f"Leaf index {index} is outside a tree of size {size}.")
    fn, sn = index, size - 1
    computed = leaf_hash
    for element in proof:
        if sn == 0:
            raise VerificationError(
                f"Inclusion proof for leaf {index} has more elements than a tree of size {size} "
                "needs."
            )
        if fn & 1 or fn == sn:
            computed = _sha256(_NODE_PREFIX + element + computed).digest()
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            computed = _sha256(_NODE_PREFIX + computed + element).digest()
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError(
            f"Inclusion proof for leaf {index} has fewer elements than a tree of size {size} needs."
        )
    if computed != root:
        raise VerificationError(
            f"Inclusion proof for leaf {index} does not lead to the given root of the tree "
            f"of size {size}."
        )


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Check that the tree (new_size, new_root) extends the tree (old_size, old_root).

    Returns None on success, raises ``VerificationError`` naming what did not match.
    """
    _require_hash(old_root, "old root")
    _require_hash(new_root, "new root")
    _require_proof_hashes(proof)
    if not 0 <= old_size <= new_size:
        raise VerificationError(
            f"A tree of size {new_size} cannot extend a tree of size {old_size}."
        )
    if old_size == 0:
        if proof:
            raise VerificationError("A consistency proof from the empty tree must be empty.")
        if old_root != _EMPTY_ROOT:
            raise VerificationError("The old root is not the root of the empty tree.")
        if new_size == 0 and new_root != _EMPTY_ROOT:
            raise VerificationError("The new root is not the root of the empty tree.")
        return
    if old_size == new_size:
        if proof:
            raise VerificationError("A consistency proof between equal sizes must be empty.")
        if old_root != new_root:
            raise VerificationError(f"The two roots for tree size {old_size} differ.")
        return
    if not proof:
        raise VerificationError(
            f"The consistency proof from size {old_size} to {new_size} is empty."
        )
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old root is itself a node of the new tree, so RFC 9162 omits it from the proof.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old_computed = new_computed = path[0]
    for element in path[1:]:
        if sn == 0:
            raise VerificationError(
                f"The consistency proof from size {old_size} to {new_size} has too many elements."
            )
        if fn & 1 or fn == sn:
            old_computed = _sha256(_NODE_PREFIX + element + old_computed).digest()
            new_computed = _sha256(_NODE_PREFIX + element + new_computed).digest()
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            new_computed = _sha256(_NODE_PREFIX + new_computed + element).digest()
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError(
            f"The consistency proof from size {old_size} to {new_size} has too few elements."
        )
    if old_computed != old_root:
        raise VerificationError(
            f"The consistency proof does not reproduce the old root of size {old_size}."
        )
    if new_computed != new_root:
        raise VerificationError(
            f"The consistency proof does not reproduce the new root of size {new_size}."
        )


# --- helpers ---------------------------------------------------------------------


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 6962 §2.1: the largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _require_hash_input(value: bytes, what: str) -> None:
    if len(value) != _HASH_SIZE:
        raise InputError(f"The {what} is {len(value)} bytes; a SHA-256 hash is 32 bytes.")


def _require_leaf_hashes(leaf_hashes: Sequence[bytes]) -> None:
    for position, value in enumerate(leaf_hashes):
        _require_hash_input(value, f"leaf hash at index {position}")


def _require_hash(value: bytes, what: str) -> None:
    if len(value) != _HASH_SIZE:
        raise VerificationError(f"The {what} is {len(value)} bytes; a SHA-256 hash is 32 bytes.")


def _require_proof_hashes(proof: Sequence[bytes]) -> None:
    for position, value in enumerate(proof):
        _require_hash(value, f"proof element {position}")
