"""Reading the ledger: entries, payloads, roots and proofs, from one snapshot each.

:class:`LedgerReader` is the read side of :class:`affidavit.ledger.log.Ledger`;
it needs only the database and the vault, never the writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from affidavit.errors import InputError, NotFound
from affidavit.ledger import tree
from affidavit.ledger.entry import StoredEntry
from affidavit.store import Database
from affidavit.store.schema import ledger_entries, ledger_payloads
from affidavit.store.vault import Vault

__all__ = ["ConsistencyProof", "InclusionProof", "LedgerReader"]


@dataclass(frozen=True)
class InclusionProof:
    seq: int
    size: int
    leaf_hash: bytes
    root: bytes
    hashes: list[bytes]


@dataclass(frozen=True)
class ConsistencyProof:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    hashes: list[bytes]


class LedgerReader:
    """Queries over the ledger's tables; every call reads one consistent snapshot."""

    db: Database
    vault: Vault

    def size(self) -> int:
        with self.db.read() as conn:
            return _size(conn)

    def _size_arg(self, conn: Connection, size: int | None) -> int:
        current = _size(conn)
        if size is None:
            return current
        if not isinstance(size, int) or size < 0 or size > current:
            raise InputError(f"tree size must be between 0 and {current}, got {size}")
        return size

    def root(self, size: int | None = None) -> bytes:
        with self.db.read() as conn:
            return tree.root_at(conn, self._size_arg(conn, size))

    def inclusion_proof(self, seq: int, size: int | None = None) -> InclusionProof:
        with self.db.read() as conn:
            n = self._size_arg(conn, size)
            if not isinstance(seq, int) or not 0 <= seq < n:
                raise NotFound(f"entry {seq} is not in a tree of size {n}")
            leaf = tree.fetch_subtrees(conn, [(0, seq)])[(0, seq)]
            hashes = tree.inclusion_proof(conn, seq, n)
            return InclusionProof(seq, n, leaf, tree.root_at(conn, n), hashes)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        with self.db.read() as conn:
            new = self._size_arg(conn, new_size)
            if not isinstance(old_size, int) or not 0 <= old_size <= new:
                raise InputError(f"old size must be between 0 and {new}, got {old_size}")
            hashes = tree.consistency_proof(conn, old_size, new)
            return ConsistencyProof(
                old_size, new, tree.root_at(conn, old_size), tree.root_at(conn, new), hashes
            )

    def entry(self, seq: int) -> StoredEntry:
        for e in self.entries(start=seq, end=seq + 1):
            return e
        raise NotFound(f"ledger entry {seq} does not exist")

    def entries(
        self, *, case: str | None = None, start: int = 0, end: int | None = None, chunk: int = 5000
    ) -> Iterator[StoredEntry]:
        """Stream entries in sequence order, optionally one case's only."""
        t = ledger_entries
        cols = (t.c.seq, t.c.leaf_hash, t.c.entry, t.c.type, t.c.case_id, t.c.actor, t.c.time)
        after = start - 1
        while True:
            q = select(*cols).where(t.c.seq > after).order_by(t.c.seq).limit(chunk)
            if end is not None:
                q = q.where(t.c.seq < end)
            if case is not None:
                q = q.where(t.c.case_id == case)
            with self.db.read() as conn:
                rows = conn.execute(q).all()
            for r in rows:
                yield StoredEntry(r[0], bytes(r[1]), bytes(r[2]), r[3], r[4], r[5], r[6])
            if len(rows) < chunk:
                return
            after = rows[-1][0]

    def payload(self, sha256_hex: str) -> bytes:
        """The plaintext of a payload, decrypted; NotFound once erased."""
        t = ledger_payloads
        with self.db.read() as conn:
            q = select(t.c.data, t.c.wrapped_key, t.c.kek_id, t.c.erased_seq).where(
                t.c.sha256 == sha256_hex
            )
            rows = conn.execute(q).all()
        if not rows:
            raise NotFound(f"no payload with SHA-256 {sha256_hex}")
        live = [r for r in rows if r.erased_seq is None]
        if not live:
            raise NotFound(f"payload {sha256_hex} was erased (ledger entry {rows[0].erased_seq})")
        r = live[0]
        return self.vault.open(sha256_hex, bytes(r.data), bytes(r.wrapped_key), str(r.kek_id))


def _size(conn: Connection) -> int:
    last = conn.execute(select(func.max(ledger_entries.c.seq))).scalar()
    return 0 if last is None else int(last) + 1
