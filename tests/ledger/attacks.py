"""What an intruder with write access to the database alone can do: plain SQL, no key.

Each helper edits the tables directly (no Affidavit code, no locks), the way
someone holding a copy of the database file or its credentials would.
"""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from affidavit.ledger import merkle


def rewrite_history(
    url: str, *, edit: dict[int, tuple[bytes, bytes]], keep: int | None = None
) -> None:
    """Replace ``old`` by ``new`` in the entries named by ``edit`` (seq -> (old, new)),
    keep only the first ``keep`` entries, recompute every leaf and subtree hash, and
    delete every checkpoint: a history that verifies clean without checkpoints."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT seq, entry FROM ledger_entries ORDER BY seq")).all()
        data = [bytes(e) for _, e in rows][:keep]
        for seq, (old, new) in edit.items():
            assert old in data[seq], (seq, old)
            data[seq] = data[seq].replace(old, new)
        conn.execute(text("DELETE FROM ledger_checkpoints"))
        conn.execute(text("DELETE FROM ledger_nodes"))
        conn.execute(text("DELETE FROM ledger_payloads WHERE seq >= :n"), {"n": len(data)})
        conn.execute(text("DELETE FROM ledger_entries WHERE seq >= :n"), {"n": len(data)})
        frontier: list[tuple[int, bytes]] = []
        for seq, entry in enumerate(data):
            leaf = merkle.leaf_hash(entry)
            conn.execute(
                text("UPDATE ledger_entries SET entry = :d, leaf_hash = :l WHERE seq = :s"),
                {"d": entry, "l": leaf, "s": seq},
            )
            for level, _index, digest in merkle.frontier_append(frontier, leaf):
                conn.execute(
                    text("INSERT INTO ledger_nodes VALUES (:i, :h)"),
                    {"i": (seq + 1) * 64 + level, "h": digest},
                )
    engine.dispose()


def truncate(url: str, size: int) -> None:
    """Delete every entry from ``size`` on, with its subtrees, payloads and checkpoints."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_checkpoints WHERE size > :n"), {"n": size})
        conn.execute(text("DELETE FROM ledger_nodes WHERE id >= :i"), {"i": (size + 1) * 64})
        conn.execute(text("DELETE FROM ledger_payloads WHERE seq >= :n"), {"n": size})
        conn.execute(text("DELETE FROM ledger_entries WHERE seq >= :n"), {"n": size})
    engine.dispose()
