"""Tests for affidavit.ledger.merkle: known answers, a reference implementation, rejection."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from affidavit.errors import InputError, VerificationError
from affidavit.ledger.merkle import (
    consistency_proof,
    consistency_ranges,
    fold_subtrees,
    frontier_append,
    frontier_root,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    range_subtrees,
    root,
    subtrees_completed_by,
    verify_consistency,
    verify_inclusion,
)

# --- reference implementation, written from the RFC 6962 §2.1 definitions ---------------
#
# Deliberately naive: recursion over ranges of one fixed list of entries, memoised so that
# every tree size up to _MAX_SIZE can be checked exhaustively.

_MAX_SIZE = 300
_DATA = [b"affidavit ledger entry %d" % i for i in range(_MAX_SIZE)]


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _rfc_k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@functools.cache
def _ref_mth(lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) over _DATA."""
    n = hi - lo
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + _DATA[lo])
    k = _rfc_k(n)
    return _sha256(b"\x01" + _ref_mth(lo, lo + k) + _ref_mth(lo + k, hi))


def _ref_path(m: int, lo: int, hi: int) -> list[tuple[bytes, str]]:
    """PATH(m, D[lo:hi]) as (hash, side of the sibling) pairs."""
    n = hi - lo
    if n == 1:
        return []
    k = _rfc_k(n)
    if m < k:
        return [*_ref_path(m, lo, lo + k), (_ref_mth(lo + k, hi), "right")]
    return [*_ref_path(m - k, lo + k, hi), (_ref_mth(lo, lo + k), "left")]


def _ref_subproof(m: int, lo: int, hi: int, b: bool) -> list[tuple[bytes, str]]:
    """SUBPROOF(m, D[lo:hi], b) as (hash, role) pairs."""
    n = hi - lo
    if m == n:
        return [] if b else [(_ref_mth(lo, hi), "seed")]
    k = _rfc_k(n)
    if m <= k:
        return [*_ref_subproof(m, lo, lo + k, b), (_ref_mth(lo + k, hi), "right")]
    return [*_ref_subproof(m - k, lo + k, hi, False), (_ref_mth(lo, lo + k), "left")]


@functools.cache
def _ref_inclusion(index: int, size: int) -> tuple[tuple[bytes, str], ...]:
    return tuple(_ref_path(index, 0, size))


@functools.cache
def _ref_consistency(old_size: int, new_size: int) -> tuple[tuple[bytes, str], ...]:
    # PROOF(m, D[n]) = SUBPROOF(m, D[n], true); nothing to prove from the empty tree.
    return tuple(_ref_subproof(old_size, 0, new_size, True)) if old_size else ()


def _hashes(pairs: Sequence[tuple[bytes, str]]) -> list[bytes]:
    return [value for value, _ in pairs]


_LEAVES = [_sha256(b"\x00" + entry) for entry in _DATA]

# What the ledger's store keeps: the hash of every complete aligned subtree, by (level, index).
_STORED = {
    (level, index): _ref_mth(index << level, (index + 1) << level)
    for level in range(_MAX_SIZE.bit_length())
    for index in range(_MAX_SIZE >> level)
}


def _proof_from_store(ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """Build a proof the way the store does: one lookup of subtree hashes, then fold per range."""
    return [fold_subtrees([_STORED[s] for s in range_subtrees(lo, hi)]) for lo, hi in ranges]


# --- known answers (RFC 6962 reference tree: Certificate Transparency, transparency-dev) ---

_EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
_KAT_INPUTS = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
_KAT_LEAVES = [leaf_hash(bytes.fromhex(entry)) for entry in _KAT_INPUTS]
# Roots of the trees with the first 1..8 inputs.
_KAT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# Every complete subtree of the 8-leaf tree, by level then index.
_KAT_NODES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]
# Frontier (compact range) of the trees with 1..8 leaves, as (level, index) into _KAT_NODES.
_KAT_FRONTIERS = [
    [(0, 0)],
    [(1, 0)],
    [(1, 0), (0, 2)],
    [(2, 0)],
    [(2, 0), (0, 4)],
    [(2, 0), (1, 2)],
    [(2, 0), (1, 2), (0, 6)],
    [(3, 0)],
]
# (0-based leaf index, tree size, proof); the published vectors count leaves from 1.
_KAT_INCLUSION = [
    (0, 1, []),
    (0, 2, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"]),
    (1, 2, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
# (old size, new size, proof)
_KAT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
_SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _kat_root(size: int) -> bytes:
    return bytes.fromhex(_KAT_ROOTS[size - 1]) if size else bytes.fromhex(_EMPTY_ROOT)


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert root([]).hex() == _EMPTY_ROOT
    assert frontier_root([]).hex() == _EMPTY_ROOT


def test_leaf_and_node_hash_use_the_rfc_6962_domain_prefixes() -> None:
    assert leaf_hash(b"").hex() == _KAT_NODES[0][0]
    assert leaf_hash(b"\x00").hex() == _KAT_NODES[0][1]
    assert node_hash(_KAT_LEAVES[0], _KAT_LEAVES[1]).hex() == _KAT_NODES[1][0]
    for entry, expected in zip(_DATA, _LEAVES, strict=True):
        assert leaf_hash(entry) == expected


@pytest.mark.parametrize("size", range(1, 9))
def test_known_roots(size: int) -> None:
    assert root(_KAT_LEAVES[:size]).hex() == _KAT_ROOTS[size - 1]


def test_known_complete_subtree_hashes() -> None:
    for level, nodes in enumerate(_KAT_NODES):
        for index, expected in enumerate(nodes):
            lo, hi = index << level, (index + 1) << level
            assert range_subtrees(lo, hi) == [(level, index)]
            assert root(_KAT_LEAVES[lo:hi]).hex() == expected


def test_known_frontiers() -> None:
    frontier: list[tuple[int, bytes]] = []
    for size, expected in enumerate(_KAT_FRONTIERS, start=1):
        frontier_append(frontier, _KAT_LEAVES[size - 1])
        assert [(level, value.hex()) for level, value in frontier] == [
            (level, _KAT_NODES[level][index]) for level, index in expected
        ]
        assert range_subtrees(0, size) == expected
        assert frontier_root(frontier).hex() == _KAT_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "expected"), _KAT_INCLUSION)
def test_known_inclusion_proofs(index: int, size: int, expected: list[str]) -> None:
    proof = inclusion_proof(_KAT_LEAVES[:size], index)
    assert [element.hex() for element in proof] == expected
    kat_store = {
        (level, i): bytes.fromhex(value)
        for level, nodes in enumerate(_KAT_NODES)
        for i, value in enumerate(nodes)
    }
    from_store = [
        fold_subtrees([kat_store[s] for s in range_subtrees(lo, hi)])
        for lo, hi in inclusion_ranges(index, size)
    ]
    assert from_store == proof
    verify_inclusion(_KAT_LEAVES[index], index, size, proof, _kat_root(size))


@pytest.mark.parametrize(("old_size", "new_size", "expected"), _KAT_CONSISTENCY)
def test_known_consistency_proofs(old_size: int, new_size: int, expected: list[str]) -> None:
    proof = consistency_proof(_KAT_LEAVES[:new_size], old_size)
    assert [element.hex() for element in proof] == expected
    verify_consistency(old_size, new_size, proof, _kat_root(old_size), _kat_root(new_size))


# --- every size up to 300 against the reference --------------------------------------------


def test_roots_match_reference_for_every_size() -> None:
    for size in range(_MAX_SIZE + 1):
        assert root(_LEAVES[:size]) == _ref_mth(0, size)


def test_inclusion_proofs_from_store_match_reference_and_verify_for_every_index() -> None:
    for size in range(1, _MAX_SIZE + 1):
        tree_root = _ref_mth(0, size)
        for index in range(size):
            proof = _proof_from_store(inclusion_ranges(index, size))
            assert proof == _hashes(_ref_inclusion(index, size)), (index, size)
            verify_inclusion(_LEAVES[index], index, size, proof, tree_root)


def test_consistency_proofs_from_store_match_reference_and_verify_for_every_old_size() -> None:
    for new_size in range(1, _MAX_SIZE + 1):
        new_root = _ref_mth(0, new_size)
        for old_size in range(new_size + 1):
            proof = _proof_from_store(consistency_ranges(old_size, new_size))
            assert proof == _hashes(_ref_consistency(old_size, new_size)), (old_size, new_size)
            verify_consistency(old_size, new_size, proof, _ref_mth(0, old_size), new_root)


def test_list_based_proofs_match_reference_exhaustively_for_small_trees() -> None:
    for size in range(1, 65):
        leaves = _LEAVES[:size]
        for index in range(size):
            assert inclusion_proof(leaves, index) == _hashes(_ref_inclusion(index, size))
        for old_size in range(size + 1):
            expected = _hashes(_ref_consistency(old_size, size))
            assert consistency_proof(leaves, old_size) == expected


@st.composite
def _size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, _MAX_SIZE))
    return size, draw(st.integers(0, size - 1))


@st.composite
def _proper_old_and_new_sizes(draw: st.DrawFn) -> tuple[int, int]:
    """0 < old size < new size <= _MAX_SIZE: the sizes that need a non-empty consistency proof."""
    new_size = draw(st.integers(2, _MAX_SIZE))
    return draw(st.integers(1, new_size - 1)), new_size


@settings(max_examples=150, deadline=None)
@given(_size_and_index())
def test_list_based_inclusion_proofs_match_reference(size_and_index: tuple[int, int]) -> None:
    size, index = size_and_index
    proof = inclusion_proof(_LEAVES[:size], index)
    assert proof == _hashes(_ref_inclusion(index, size))
    verify_inclusion(_LEAVES[index], index, size, proof, root(_LEAVES[:size]))


@settings(max_examples=150, deadline=None)
@given(_size_and_index())
def test_list_based_consistency_proofs_match_reference(size_and_index: tuple[int, int]) -> None:
    new_size, old_size = size_and_index
    proof = consistency_proof(_LEAVES[:new_size], old_size)
    assert proof == _hashes(_ref_consistency(old_size, new_size))
    verify_consistency(
        old_size, new_size, proof, root(_LEAVES[:old_size]), root(_LEAVES[:new_size])
    )


def test_large_tree_agrees_between_list_store_and_frontier() -> None:
    size = (1 << 16) + 3
    leaves = [leaf_hash(b"%d" % i) for i in range(size)]
    frontier: list[tuple[int, bytes]] = []
    stored: dict[tuple[int, int], bytes] = {}
    for i, value in enumerate(leaves):
        stored[(0, i)] = value
        for level, index, subtree_hash in frontier_append(frontier, value):
            stored[(level, index)] = subtree_hash
    tree_root = root(leaves)
    assert frontier_root(frontier) == tree_root
    for index in (0, 1, 40_000, 65_535, 65_536, size - 1):
        ranges = inclusion_ranges(index, size)
        proof = [fold_subtrees([stored[s] for s in range_subtrees(lo, hi)]) for lo, hi in ranges]
        assert proof == inclusion_proof(leaves, index)
        verify_inclusion(leaves[index], index, size, proof, tree_root)
    for old_size in (1, 3, 65_535, 65_536, 65_537):
        proof = consistency_proof(leaves, old_size)
        verify_consistency(old_size, size, proof, root(leaves[:old_size]), tree_root)


# --- proof shapes and the store decomposition ------------------------------------------------


def _assert_tiles(lo: int, hi: int, subtrees: Sequence[tuple[int, int]]) -> None:
    position = lo
    for level, index in subtrees:
        assert index << level == position
        position += 1 << level
    assert position == hi
    levels = [level for level, _ in subtrees]
    assert levels == sorted(set(levels), reverse=True)


def test_every_proof_range_decomposes_into_stored_subtrees() -> None:
    # Only a range that reaches the tree's right edge can be incomplete, and a proof has at
    # most one: so the store fetches O(log n) hashes per proof.
    for size in range(1, _MAX_SIZE + 1):
        log_bound = 2 * size.bit_length()
        for index in range(size):
            ranges = inclusion_ranges(index, size)
            fetched = [range_subtrees(lo, hi) for lo, hi in ranges]
            for (lo, hi), subtrees in zip(ranges, fetched, strict=True):
                _assert_tiles(lo, hi, subtrees)
            assert sum(map(len, fetched)) <= log_bound
            assert sum(len(subtrees) > 1 for subtrees in fetched) <= 1
        for old_size in range(size + 1):
            ranges = consistency_ranges(old_size, size)
            fetched = [range_subtrees(lo, hi) for lo, hi in ranges]
            for (lo, hi), subtrees in zip(ranges, fetched, strict=True):
                _assert_tiles(lo, hi, subtrees)
            assert sum(map(len, fetched)) <= log_bound
            assert sum(len(subtrees) > 1 for subtrees in fetched) <= 1


def test_range_subtrees_accepts_exactly_the_ranges_built_from_aligned_subtrees() -> None:
    for lo in range(64):
        for hi in range(lo + 1, 129):
            count = hi - lo
            # The MTH's left child (or the whole range, for a power of two) must be a stored node.
            top = 1 << (count.bit_length() - 1)
            if lo % top:
                with pytest.raises(InputError):
                    range_subtrees(lo, hi)
                continue
            subtrees = range_subtrees(lo, hi)
            _assert_tiles(lo, hi, subtrees)
            if hi <= _MAX_SIZE:
                assert fold_subtrees([_STORED[s] for s in subtrees]) == _ref_mth(lo, hi)


@pytest.mark.parametrize(("lo", "hi"), [(0, 0), (5, 5), (6, 5), (-1, 0), (-2, 2), (1, 3), (2, 6)])
def test_range_subtrees_rejects_bad_ranges(lo: int, hi: int) -> None:
    with pytest.raises(InputError):
        range_subtrees(lo, hi)


# --- frontier ---------------------------------------------------------------------------------


def test_frontier_matches_root_store_and_completed_subtrees_for_every_size() -> None:
    frontier: list[tuple[int, bytes]] = []
    for leaf_index in range(_MAX_SIZE):
        completed = frontier_append(frontier, _LEAVES[leaf_index])
        size = leaf_index + 1
        assert frontier_root(frontier) == _ref_mth(0, size)
        assert completed == [(level, i, _STORED[(level, i)]) for level, i, _ in completed]
        assert [(level, i) for level, i, _ in completed] == subtrees_completed_by(leaf_index)
        # A writer restarts from the store: the frontier is exactly range_subtrees(0, size).
        assert frontier == [(level, _STORED[(level, i)]) for level, i in range_subtrees(0, size)]


def test_subtrees_completed_by_lists_the_subtrees_ending_at_the_leaf() -> None:
    for leaf_index in range(1024):
        expected = [
            (level, index)
            for level in range(1, 12)
            for index in range(1024 >> level)
            if ((index + 1) << level) - 1 == leaf_index
        ]
        assert subtrees_completed_by(leaf_index) == expected


@pytest.mark.parametrize(
    "frontier",
    [[(0, b"\x00" * 32), (0, b"\x00" * 32)], [(1, b"\x00" * 32), (2, b"\x00" * 32)], [(-1, b"")]],
)
def test_malformed_frontier_is_refused(frontier: list[tuple[int, bytes]]) -> None:
    with pytest.raises(InputError):
        frontier_root(frontier)
    with pytest.raises(InputError):
        frontier_append(frontier, _LEAVES[0])


# --- invalid arguments to the builders --------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: inclusion_proof(_LEAVES[:5], 5),
        lambda: inclusion_proof(_LEAVES[:5], -1),
        lambda: inclusion_proof([], 0),
        lambda: consistency_proof(_LEAVES[:5], 6),
        lambda: consistency_proof(_LEAVES[:5], -1),
        lambda: inclusion_ranges(3, 3),
        lambda: inclusion_ranges(0, 0),
        lambda: consistency_ranges(4, 3),
        lambda: consistency_ranges(-1, 3),
        lambda: root([*_LEAVES[:3], b"short"]),
        lambda: inclusion_proof([b"\x00" * 33], 0),
        lambda: node_hash(b"\x00" * 31, b"\x00" * 32),
        lambda: node_hash(b"\x00" * 32, b""),
        lambda: fold_subtrees([]),
        lambda: fold_subtrees([b"\x00" * 32, b"\x00"]),
        lambda: frontier_append([], b"\x00" * 31),
        lambda: subtrees_completed_by(-1),
    ],
)
def test_invalid_arguments_raise_input_error(call: Callable[[], object]) -> None:
    with pytest.raises(InputError):
        call()


# --- inclusion proof rejection ----------------------------------------------------------------


def _flip(value: bytes, bit: int) -> bytes:
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


def _rejected(check: Callable[..., None], *args: object) -> bool:
    try:
        check(*args)
    except VerificationError:
        return True
    return False


def _inclusion_case(index: int, size: int) -> tuple[bytes, list[bytes], bytes]:
    return _LEAVES[index], _hashes(_ref_inclusion(index, size)), _ref_mth(0, size)


_BIT_FLIP_INCLUSION_CASES = [
    (0, 1),
    (1, 2),
    (2, 3),
    (5, 8),
    (6, 7),
    (255, 256),
    (256, 257),
    (150, 300),
]


@pytest.mark.parametrize(("index", "size"), _BIT_FLIP_INCLUSION_CASES)
def test_inclusion_rejects_every_single_bit_flip(index: int, size: int) -> None:
    leaf, proof, tree_root = _inclusion_case(index, size)
    verify_inclusion(leaf, index, size, proof, tree_root)
    for bit in range(256):
        assert _rejected(verify_inclusion, _flip(leaf, bit), index, size, proof, tree_root)
        assert _rejected(verify_inclusion, leaf, index, size, proof, _flip(tree_root, bit))
        for position in range(len(proof)):
            bad = [*proof[:position], _flip(proof[position], bit), *proof[position + 1 :]]
            assert _rejected(verify_inclusion, leaf, index, size, bad, tree_root)


@settings(max_examples=200, deadline=None)
@given(_size_and_index(), st.integers(0, 255), st.integers(0, 1000))
def test_inclusion_rejects_a_flipped_bit_anywhere(
    size_and_index: tuple[int, int], bit: int, target: int
) -> None:
    size, index = size_and_index
    leaf, proof, tree_root = _inclusion_case(index, size)
    target %= len(proof) + 2
    if target == len(proof):
        leaf = _flip(leaf, bit)
    elif target == len(proof) + 1:
        tree_root = _flip(tree_root, bit)
    else:
        proof[target] = _flip(proof[target], bit)
    with pytest.raises(VerificationError):
        verify_inclusion(leaf, index, size, proof, tree_root)


def _inclusion_mutations(
    index: int, size: int, proof: list[bytes], tree_root: bytes
) -> list[tuple[str, int, int, list[bytes], bytes]]:
    """(description, index, size, proof, root) variants that must all be rejected."""
    mutations = [
        ("index - 1", index - 1, size, proof, tree_root),
        ("index + 1", index + 1, size, proof, tree_root),
        ("index ^ 2", index ^ 2, size, proof, tree_root),
        ("size * 2", index, size * 2, proof, tree_root),
        ("size // 2", index, size // 2, proof, tree_root),
        ("empty-tree root", index, size, proof, bytes.fromhex(_EMPTY_ROOT)),
        ("other root", index, size, proof, _SOME_HASH),
        ("trailing garbage", index, size, [*proof, _SOME_HASH], tree_root),
        ("trailing root", index, size, [*proof, tree_root], tree_root),
        ("preceding garbage", index, size, [_SOME_HASH, *proof], tree_root),
        ("preceding root", index, size, [tree_root, *proof], tree_root),
        (
            "short element",
            index,
            size,
            [*proof[:-1], proof[-1][:31]] if proof else [b""],
            tree_root,
        ),
    ]
    if proof:
        mutations.append(("truncated", index, size, proof[:-1], tree_root))
        mutations.append(("first removed", index, size, proof[1:], tree_root))
    for position in range(len(proof) - 1):
        swapped = [*proof]
        swapped[position], swapped[position + 1] = swapped[position + 1], swapped[position]
        mutations.append((f"swapped {position}", index, size, swapped, tree_root))
    if len(proof) > 1:
        inserted = [proof[0], _SOME_HASH, *proof[1:]]
        mutations.append(("inserted", index, size, inserted, tree_root))
    return mutations


def _assert_inclusion_mutations_rejected(index: int, size: int) -> None:
    leaf, proof, tree_root = _inclusion_case(index, size)
    for desc, bad_index, bad_size, bad_proof, bad_root in _inclusion_mutations(
        index, size, proof, tree_root
    ):
        assert _rejected(verify_inclusion, leaf, bad_index, bad_size, bad_proof, bad_root), (
            desc,
            index,
            size,
        )
    assert _rejected(verify_inclusion, _SOME_HASH, index, size, proof, tree_root)


def test_inclusion_rejects_structural_mutations_for_every_index() -> None:
    for size in range(1, 129):
        for index in range(size):
            _assert_inclusion_mutations_rejected(index, size)


@settings(max_examples=150, deadline=None)
@given(_size_and_index())
def test_inclusion_rejects_structural_mutations_in_larger_trees(
    size_and_index: tuple[int, int],
) -> None:
    size, index = size_and_index
    _assert_inclusion_mutations_rejected(index, size)


def test_inclusion_rejects_every_wrong_index() -> None:
    for size in range(1, 41):
        tree_root = _ref_mth(0, size)
        for index in range(size):
            leaf, proof, _ = _inclusion_case(index, size)
            for other in range(-1, size + 1):
                if other != index:
                    assert _rejected(verify_inclusion, leaf, other, size, proof, tree_root)


def test_inclusion_rejects_every_wrong_size_that_changes_the_path() -> None:
    # A root does not commit to its size: where another size gives the leaf the same path
    # shape, the RFC 9162 computation is identical and the proof verifies. Everywhere else
    # the claimed size must be rejected.
    for size in range(1, 41):
        tree_root = _ref_mth(0, size)
        for index in range(size):
            leaf, proof, _ = _inclusion_case(index, size)
            shape = [side for _, side in _ref_inclusion(index, size)]
            for other in range(0, 2 * size + 2):
                if other == size:
                    continue
                same_shape = (
                    index < other and [side for _, side in _ref_inclusion(index, other)] == shape
                )
                rejected = _rejected(verify_inclusion, leaf, index, other, proof, tree_root)
                assert rejected != same_shape, (index, size, other)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (-1, 1), (0, -1)])
def test_inclusion_rejects_impossible_positions(index: int, size: int) -> None:
    with pytest.raises(VerificationError, match="outside a tree"):
        verify_inclusion(_SOME_HASH, index, size, [], _SOME_HASH)


def test_inclusion_single_leaf_tree() -> None:
    verify_inclusion(_LEAVES[0], 0, 1, [], _LEAVES[0])
    for bad_leaf, bad_root in [(_LEAVES[0], b""), (b"", _LEAVES[0]), (b"", b"")]:
        with pytest.raises(VerificationError, match="32 bytes"):
            verify_inclusion(bad_leaf, 0, 1, [], bad_root)


def test_inclusion_error_messages_say_what_differs() -> None:
    leaf, proof, tree_root = _inclusion_case(5, 8)
    with pytest.raises(VerificationError, match="does not lead to the given root"):
        verify_inclusion(leaf, 5, 8, proof, _SOME_HASH)
    with pytest.raises(VerificationError, match="more elements"):
        verify_inclusion(leaf, 5, 8, [*proof, _SOME_HASH], tree_root)
    with pytest.raises(VerificationError, match="fewer elements"):
        verify_inclusion(leaf, 5, 8, proof[:-1], tree_root)
    with pytest.raises(VerificationError, match="proof element 1 is 3 bytes"):
        verify_inclusion(leaf, 5, 8, [proof[0], b"abc", proof[2]], tree_root)


# --- consistency proof rejection --------------------------------------------------------------


def _consistency_case(old_size: int, new_size: int) -> tuple[list[bytes], bytes, bytes]:
    proof = _hashes(_ref_consistency(old_size, new_size))
    return proof, _ref_mth(0, old_size), _ref_mth(0, new_size)


_BIT_FLIP_CONSISTENCY_CASES = [(1, 2), (2, 5), (6, 7), (6, 8), (1, 8), (255, 256), (256, 300)]


@pytest.mark.parametrize(("old_size", "new_size"), _BIT_FLIP_CONSISTENCY_CASES)
def test_consistency_rejects_every_single_bit_flip(old_size: int, new_size: int) -> None:
    proof, old_root, new_root = _consistency_case(old_size, new_size)
    verify_consistency(old_size, new_size, proof, old_root, new_root)
    for bit in range(256):
        bad_old, bad_new = _flip(old_root, bit), _flip(new_root, bit)
        assert _rejected(verify_consistency, old_size, new_size, proof, bad_old, new_root)
        assert _rejected(verify_consistency, old_size, new_size, proof, old_root, bad_new)
        for position in range(len(proof)):
            bad = [*proof[:position], _flip(proof[position], bit), *proof[position + 1 :]]
            assert _rejected(verify_consistency, old_size, new_size, bad, old_root, new_root)


@settings(max_examples=200, deadline=None)
@given(_size_and_index(), st.integers(0, 255), st.integers(0, 1000))
def test_consistency_rejects_a_flipped_bit_anywhere(
    sizes: tuple[int, int], bit: int, target: int
) -> None:
    new_size, old_size = sizes
    old_size = max(old_size, 1)
    proof, old_root, new_root = _consistency_case(old_size, new_size)
    target %= len(proof) + 2
    if target == len(proof):
        old_root = _flip(old_root, bit)
    elif target == len(proof) + 1:
        new_root = _flip(new_root, bit)
    else:
        proof[target] = _flip(proof[target], bit)
    with pytest.raises(VerificationError):
        verify_consistency(old_size, new_size, proof, old_root, new_root)


def _consistency_mutations(
    old_size: int, new_size: int, proof: list[bytes], old_root: bytes, new_root: bytes
) -> list[tuple[str, int, int, list[bytes], bytes, bytes]]:
    """(description, old size, new size, proof, old root, new root) variants to reject."""
    m, n = old_size, new_size
    mutations = [
        ("old - 1", m - 1, n, proof, old_root, new_root),
        ("old + 1", m + 1, n, proof, old_root, new_root),
        ("old ^ 2", m ^ 2, n, proof, old_root, new_root),
        ("new * 2", m, n * 2, proof, old_root, new_root),
        ("new // 2", m, n // 2, proof, old_root, new_root),
        ("wrong old root", m, n, proof, _SOME_HASH, new_root),
        ("wrong new root", m, n, proof, old_root, _SOME_HASH),
        ("swapped roots", m, n, proof, new_root, old_root),
        ("empty proof", m, n, [], old_root, new_root),
        ("trailing garbage", m, n, [*proof, _SOME_HASH], old_root, new_root),
        ("trailing old root", m, n, [*proof, old_root], old_root, new_root),
        ("trailing new root", m, n, [*proof, new_root], old_root, new_root),
        ("preceding garbage", m, n, [_SOME_HASH, *proof], old_root, new_root),
        ("preceding old root", m, n, [old_root, *proof], old_root, new_root),
        ("preceding new root", m, n, [new_root, *proof], old_root, new_root),
        ("preceding proof[0]", m, n, [proof[0], *proof], old_root, new_root),
        ("truncated", m, n, proof[:-1], old_root, new_root),
        ("first removed", m, n, proof[1:], old_root, new_root),
        ("short element", m, n, [*proof[:-1], proof[-1][:31]], old_root, new_root),
    ]
    for position in range(len(proof) - 1):
        swapped = [*proof]
        swapped[position], swapped[position + 1] = swapped[position + 1], swapped[position]
        mutations.append((f"swapped {position}", m, n, swapped, old_root, new_root))
    return mutations


def _assert_consistency_mutations_rejected(old_size: int, new_size: int) -> None:
    proof, old_root, new_root = _consistency_case(old_size, new_size)
    for desc, m, n, bad_proof, bad_old, bad_new in _consistency_mutations(
        old_size, new_size, proof, old_root, new_root
    ):
        assert _rejected(verify_consistency, m, n, bad_proof, bad_old, bad_new), (
            desc,
            old_size,
            new_size,
        )


def test_consistency_rejects_structural_mutations_for_every_old_size() -> None:
    for new_size in range(2, 97):
        for old_size in range(1, new_size):
            _assert_consistency_mutations_rejected(old_size, new_size)


@settings(max_examples=150, deadline=None)
@given(_proper_old_and_new_sizes())
def test_consistency_rejects_structural_mutations_in_larger_trees(
    sizes: tuple[int, int],
) -> None:
    old_size, new_size = sizes
    _assert_consistency_mutations_rejected(old_size, new_size)


def _consistency_shape(old_size: int, new_size: int) -> list[str]:
    return [role for _, role in _ref_consistency(old_size, new_size)]


def test_consistency_rejects_every_wrong_size_that_changes_the_proof_shape() -> None:
    # As for inclusion: sizes whose proof has the same shape run the identical computation.
    for new_size in range(2, 33):
        for old_size in range(1, new_size):
            proof, old_root, new_root = _consistency_case(old_size, new_size)
            shape = _consistency_shape(old_size, new_size)
            claims = [(m, new_size) for m in range(-1, 2 * new_size + 2)]
            claims += [(old_size, n) for n in range(-1, 2 * new_size + 2)]
            for m, n in claims:
                if (m, n) == (old_size, new_size):
                    continue
                same_shape = 0 < m < n and _consistency_shape(m, n) == shape
                rejected = _rejected(verify_consistency, m, n, proof, old_root, new_root)
                assert rejected != same_shape, (old_size, new_size, m, n)


_EMPTY = bytes.fromhex(_EMPTY_ROOT)
_ROOT_1 = bytes.fromhex(_KAT_ROOTS[0])
_ROOT_2 = bytes.fromhex(_KAT_ROOTS[1])


@pytest.mark.parametrize(
    ("old_size", "new_size", "proof", "old_root", "new_root", "accepted"),
    [
        # From the empty tree: empty proof and the empty-tree root; any new tree extends it.
        (0, 0, [], _EMPTY, _EMPTY, True),
        (0, 1, [], _EMPTY, _ROOT_1, True),
        (0, 2, [], _EMPTY, _ROOT_2, True),
        (0, 0, [], _EMPTY, _ROOT_1, False),
        (0, 0, [], _ROOT_1, _ROOT_1, False),
        (0, 1, [], _SOME_HASH, _ROOT_1, False),
        (0, 0, [_EMPTY], _EMPTY, _EMPTY, False),
        (0, 1, [_EMPTY], _EMPTY, _ROOT_1, False),
        # Equal sizes: empty proof and equal roots.
        (1, 1, [], _ROOT_1, _ROOT_1, True),
        (1, 1, [], _ROOT_1, _ROOT_2, False),
        (1, 1, [_EMPTY], _ROOT_1, _ROOT_1, False),
        (2, 2, [], _ROOT_2, _ROOT_2, True),
        # Time travel and nonsense sizes.
        (1, 0, [], _ROOT_1, _EMPTY, False),
        (2, 1, [], _ROOT_2, _ROOT_1, False),
        (-1, 1, [], _EMPTY, _ROOT_1, False),
        (0, -1, [], _EMPTY, _EMPTY, False),
        # A real extension needs a proof.
        (1, 2, [], _ROOT_1, _ROOT_2, False),
        (1, 2, [_KAT_LEAVES[1]], _ROOT_1, _ROOT_2, True),
        # Hashes of the wrong length.
        (1, 2, [_KAT_LEAVES[1][:31]], _ROOT_1, _ROOT_2, False),
        (1, 1, [], b"", b"", False),
    ],
)
def test_consistency_edge_cases(
    old_size: int,
    new_size: int,
    proof: list[bytes],
    old_root: bytes,
    new_root: bytes,
    accepted: bool,
) -> None:
    def call() -> None:
        verify_consistency(old_size, new_size, proof, old_root, new_root)

    if accepted:
        call()
    else:
        with pytest.raises(VerificationError):
            call()


def test_consistency_error_messages_say_what_differs() -> None:
    proof, old_root, new_root = _consistency_case(6, 8)
    with pytest.raises(VerificationError, match="old root of size 6"):
        verify_consistency(6, 8, proof, _SOME_HASH, new_root)
    with pytest.raises(VerificationError, match="new root of size 8"):
        verify_consistency(6, 8, proof, old_root, _SOME_HASH)
    with pytest.raises(VerificationError, match="too many elements"):
        verify_consistency(6, 8, [*proof, _SOME_HASH], old_root, new_root)
    with pytest.raises(VerificationError, match="too few elements"):
        verify_consistency(6, 8, proof[:-1], old_root, new_root)
    with pytest.raises(VerificationError, match="cannot extend"):
        verify_consistency(8, 6, proof, new_root, old_root)
