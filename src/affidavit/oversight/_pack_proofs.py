"""Inclusion proofs for many entries at once, from two ledger proofs per run of entries.

A pack may hold 10^5 consecutive entries; asking the ledger for each proof
would cost 10^5 round trips. For a run of consecutive leaves [a, b) every node
of every proof is either inside the run (computed here from the leaves), or on
the path of leaf a or leaf b - 1, or a sibling of one of those paths (taken
from the ledger's proofs for a and b - 1): a sibling of leaf i's path that
lies left of the run has a parent that contains both it and i, hence a, so it
is a sibling on a's path; symmetrically on the right. The paths of a and b - 1
must lead to the checkpoint's root, so the store's hashes are checked too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from affidavit.errors import VerificationError
from affidavit.ledger import merkle
from affidavit.ledger.reader import LedgerReader

__all__ = ["inclusion_proofs"]

Span = tuple[int, int]  # leaves [lo, hi) of one node of the tree


def inclusion_proofs(
    reader: LedgerReader, leaves: Mapping[int, bytes], size: int, root: bytes
) -> dict[int, list[bytes]]:
    """The RFC 6962 proof of each of ``leaves`` (index -> leaf hash) in the tree of ``size``."""
    known: dict[Span, bytes] = {(0, size): root}
    proofs: dict[int, list[bytes]] = {}
    for lo, hi in _runs(sorted(leaves)):
        for edge in dict.fromkeys((lo, hi - 1)):
            _learn_path(known, edge, leaves[edge], reader.inclusion_proof(edge, size).hashes, size)
        inside = _subtrees(leaves, lo, hi)
        for index in range(lo, hi):
            proof = []
            for span in merkle.inclusion_ranges(index, size):
                digest = known.get(span)
                if digest is None:
                    digest = merkle.fold_subtrees([inside[s] for s in merkle.range_subtrees(*span)])
                    known[span] = digest
                proof.append(digest)
            proofs[index] = proof
    return proofs


def _runs(indices: list[int]) -> Iterator[Span]:
    """Maximal runs of consecutive indices, as [lo, hi)."""
    start = previous = indices[0]
    for index in indices[1:]:
        if index != previous + 1:
            yield start, previous + 1
            start = index
        previous = index
    yield start, previous + 1


def _learn_path(
    known: dict[Span, bytes], index: int, leaf: bytes, hashes: list[bytes], size: int
) -> None:
    """Remember every node on leaf ``index``'s path and its siblings; the path must
    end at the known root and agree with every node already known."""
    node, lo, hi = leaf, index, index + 1
    spans = merkle.inclusion_ranges(index, size)
    if len(spans) != len(hashes):
        raise VerificationError(f"the ledger's inclusion proof for entry {index} is malformed")
    _remember(known, (lo, hi), node, index)
    for span, digest in zip(spans, hashes, strict=True):
        _remember(known, span, digest, index)
        if span[0] < lo:
            node, lo = merkle.node_hash(digest, node), span[0]
        else:
            node, hi = merkle.node_hash(node, digest), span[1]
        _remember(known, (lo, hi), node, index)


def _remember(known: dict[Span, bytes], span: Span, digest: bytes, index: int) -> None:
    if known.setdefault(span, digest) != digest:
        raise VerificationError(
            f"the ledger's stored tree does not lead to the signed checkpoint from entry {index}; "
            "run `affidavit ledger verify`"
        )


def _subtrees(leaves: Mapping[int, bytes], lo: int, hi: int) -> dict[tuple[int, int], bytes]:
    """Every complete aligned subtree (level, index) inside the run [lo, hi)."""
    found = {(0, i): leaves[i] for i in range(lo, hi)}
    level = 1
    while (1 << level) <= hi - lo:
        first, last = -(-lo >> level), hi >> level
        for j in range(first, last):
            left, right = found[(level - 1, 2 * j)], found[(level - 1, 2 * j + 1)]
            found[(level, j)] = merkle.node_hash(left, right)
        level += 1
    return found
