"""Reading the Merkle tree from the store in O(log n) rows.

The store keeps the hash of every complete aligned subtree: leaves in
``ledger_entries.leaf_hash``, higher levels in ``ledger_nodes``. Any root,
inclusion proof or consistency proof for any tree size is a fold over a few
of those subtrees (``merkle.range_subtrees``), fetched in two queries.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from affidavit.errors import StorageError
from affidavit.ledger import merkle
from affidavit.store.schema import ledger_entries, ledger_nodes

__all__ = [
    "Frontier",
    "consistency_proof",
    "inclusion_proof",
    "load_frontier",
    "node_id",
    "root_at",
]

Subtree = tuple[int, int]  # (level, index): leaves [index << level, (index + 1) << level)
Frontier = list[tuple[int, bytes]]  # right edge of complete subtrees, highest level first


def node_id(level: int, index: int) -> int:
    """Primary key of a stored subtree: ordering by it is the order subtrees complete."""
    return ((index + 1) << level) * 64 + level


def fetch_subtrees(conn: Connection, wanted: Iterable[Subtree]) -> dict[Subtree, bytes]:
    wanted = set(wanted)
    leaves = [index for level, index in wanted if level == 0]
    nodes = {node_id(level, index): (level, index) for level, index in wanted if level > 0}
    found: dict[Subtree, bytes] = {}
    if leaves:
        rows = conn.execute(
            select(ledger_entries.c.seq, ledger_entries.c.leaf_hash).where(
                ledger_entries.c.seq.in_(leaves)
            )
        )
        found.update(((0, seq), bytes(h)) for seq, h in rows)
    if nodes:
        rows = conn.execute(
            select(ledger_nodes.c.id, ledger_nodes.c.hash).where(ledger_nodes.c.id.in_(nodes))
        )
        found.update((nodes[i], bytes(h)) for i, h in rows)
    missing = wanted - found.keys()
    if missing:
        level, index = min(missing)
        raise StorageError(
            f"the ledger is missing the stored hash of subtree level {level} index {index}; "
            "run `affidavit ledger verify`"
        )
    return found


def _fold_ranges(conn: Connection, ranges: list[tuple[int, int]]) -> list[bytes]:
    plans = [merkle.range_subtrees(lo, hi) for lo, hi in ranges]
    found = fetch_subtrees(conn, (s for plan in plans for s in plan))
    return [merkle.fold_subtrees([found[s] for s in plan]) for plan in plans]


def root_at(conn: Connection, size: int) -> bytes:
    if size == 0:
        return merkle.root([])
    return _fold_ranges(conn, [(0, size)])[0]


def inclusion_proof(conn: Connection, index: int, size: int) -> list[bytes]:
    return _fold_ranges(conn, merkle.inclusion_ranges(index, size))


def consistency_proof(conn: Connection, old_size: int, new_size: int) -> list[bytes]:
    return _fold_ranges(conn, merkle.consistency_ranges(old_size, new_size))


def load_frontier(conn: Connection, size: int) -> Frontier:
    """The complete subtrees that make up a tree of ``size`` leaves, left to right."""
    plan: list[Subtree] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            plan.append((level, start >> level))
            start += 1 << level
    found = fetch_subtrees(conn, plan)
    return [(level, found[(level, index)]) for level, index in plan]
