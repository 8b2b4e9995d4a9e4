"""Full ledger verification, streaming, in constant memory.

Three ordered streams are merged in one pass: entries by ``seq``, subtree
hashes by node id (the order subtrees complete) and payloads by
``(seq, ordinal)``. For every entry the leaf hash is recomputed and the query
columns and payload references are checked against the entry bytes; every
subtree the recomputed tree completes must equal the stored one; every stored
checkpoint must carry a valid signature by the log key over the recomputed
root at its size. The first discrepancy raises :class:`VerificationError`
naming the entry and what differs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from affidavit.errors import AffidavitError, VerificationError
from affidavit.ledger import cosignature, note, tree
from affidavit.ledger.anchors import Anchor, check_anchors
from affidavit.ledger.entry import entry_prefix, entry_tail
from affidavit.ledger.events import PayloadErased
from affidavit.ledger.merkle import frontier_append, frontier_root
from affidavit.ledger.witnesses import Witnessed, latest_witnessed
from affidavit.store import Database
from affidavit.store.schema import ledger_entries, meta
from affidavit.store.vault import Vault

__all__ = ["VerifyReport", "verify_ledger"]

Progress = Callable[[int, int], None]
_CHUNK = 20_000
MAX_LISTED_ERASURES = 1000


@dataclass(frozen=True)
class VerifyReport:
    size: int
    root: bytes
    checkpoints: int
    latest_checkpoint_size: int | None
    payloads: int
    erased: int = 0
    """Payloads erased on purpose (crypto-shredded and ledgered), not tampering."""
    erasures: tuple[dict[str, Any], ...] = ()
    """When, by whom and under which rule (the first MAX_LISTED_ERASURES erasure entries)."""
    payloads_decrypted: bool = False
    anchors: tuple[int, ...] = ()
    """Sizes of the checkpoints from outside the database (signer state, saved) it extends."""
    witnessed: Witnessed | None = None
    """The latest checkpoint cosigned by the required witnesses (when witnesses were given)."""

    @property
    def unsigned_entries(self) -> int:
        """Entries after the latest signed checkpoint (not yet covered by a signature)."""
        return self.size - (self.latest_checkpoint_size or 0)


def _stream(conn: Connection, sql: str, name: str) -> Generator[tuple[Any, ...], None, None]:
    """Rows of ``sql`` through a raw driver cursor (server-side on PostgreSQL)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    cur = raw.cursor(name=name) if conn.dialect.name == "postgresql" else raw.cursor()
    try:
        cur.execute(sql)
        while rows := cur.fetchmany(_CHUNK):
            yield from rows
    finally:
        cur.close()


class _Checker:
    def __init__(
        self, conn: Connection, verifier_key: str, origin: str, vault: Vault | None
    ) -> None:
        self.vault = vault
        # (seq, ordinal, sha256) of payloads whose rows say "erased by entry N", by N:
        # entry N, later in the stream, must be the payload.erased entry listing them.
        self.erasure_claims: dict[int, set[tuple[int, int, str]]] = {}
        self.erased_count = 0
        self.erasures: list[dict[str, Any]] = []
        self.verifier_key = verifier_key
        self.origin = origin
        self.nodes = _stream(conn, "SELECT id, hash FROM ledger_nodes ORDER BY id", "nodes")
        self.payloads = _stream(
            conn,
            "SELECT seq, ordinal, sha256, data, wrapped_key, kek_id, erased_seq "
            "FROM ledger_payloads ORDER BY seq, ordinal",
            "payloads",
        )
        self.checkpoints = _stream(
            conn, "SELECT size, note FROM ledger_checkpoints ORDER BY size", "checkpoints"
        )
        self.streams = [self.nodes, self.payloads, self.checkpoints]
        self.next_node = next(self.nodes, None)
        self.next_payload = next(self.payloads, None)
        self.next_checkpoint = next(self.checkpoints, None)
        self.checkpoint_count = 0
        self.latest_checkpoint: int | None = None
        self.payload_count = 0

    def close(self) -> None:
        for stream in self.streams:
            stream.close()

    def payload_refs(self, seq: int) -> list[str]:
        refs: list[str] = []
        while self.next_payload is not None and self.next_payload[0] <= seq:
            pseq, ordinal, ref, data, wrapped_key, kek_id, erased_seq = self.next_payload
            if pseq < seq:
                raise VerificationError(
                    f"entry {pseq}: payload row {ordinal} belongs to no entry (row inserted, "
                    "or its entry deleted)"
                )
            if ordinal != len(refs):
                raise VerificationError(
                    f"entry {seq}: payload rows are not numbered 0..n (found ordinal {ordinal} "
                    f"where {len(refs)} was expected; a payload row was deleted or inserted)"
                )
            if erased_seq is not None:
                if erased_seq <= seq or bytes(data) or wrapped_key is not None:
                    raise VerificationError(
                        f"entry {seq}: payload {ordinal} is marked erased (by entry {erased_seq}) "
                        "but its erasure record is inconsistent"
                    )
                self.erasure_claims.setdefault(int(erased_seq), set()).add((seq, ordinal, ref))
                self.erased_count += 1
            elif wrapped_key is None or kek_id is None:
                raise VerificationError(
                    f"entry {seq}: payload {ordinal} is stored without its wrapped data key "
                    "(not sealed by the vault, or its key was removed without an erasure entry)"
                )
            elif self.vault is not None:
                try:
                    self.vault.open(ref, bytes(data), bytes(wrapped_key), str(kek_id))
                except VerificationError as exc:
                    raise VerificationError(
                        f"entry {seq}: payload {ordinal} does not open to its SHA-256 {ref}: "
                        f"{exc.message} (payload data, key or hash modified)"
                    ) from None
            refs.append(ref)
            self.payload_count += 1
            self.next_payload = next(self.payloads, None)
        return refs

    def subtree(self, level: int, end: int, digest: bytes) -> None:
        want = end * 64 + level
        row = self.next_node
        lo = end - (1 << level)
        if row is None or row[0] > want:
            raise VerificationError(
                f"entry {end - 1}: the stored hash of the subtree over entries {lo}..{end - 1} "
                "is missing (a ledger_nodes row was deleted)"
            )
        if row[0] < want:
            raise VerificationError(
                f"entry {end - 1}: ledger_nodes has a row (id {row[0]}) that belongs to no "
                "subtree of the log (row inserted or its id modified)"
            )
        if bytes(row[1]) != digest:
            raise VerificationError(
                f"entry {lo}: the stored hash of the subtree over entries {lo}..{end - 1} "
                "differs from the recomputed one (entries reordered, or a ledger_nodes row "
                "modified)"
            )
        self.next_node = next(self.nodes, None)

    def checkpoints_at(self, size: int, frontier: tree.Frontier) -> None:
        while self.next_checkpoint is not None:
            cp_size, text = self.next_checkpoint
            if not isinstance(cp_size, int):
                raise VerificationError(
                    "ledger_checkpoints has a row whose size is not a number (the column's "
                    "type was altered)"
                )
            if cp_size > size:
                return
            if cp_size < size:
                raise VerificationError(f"checkpoint row for size {cp_size} is out of order")
            where = f"checkpoint at size {cp_size} (after entry {cp_size - 1})"
            try:
                signed = note.verify(str(text), [self.verifier_key])
                cp = note.Checkpoint.parse(signed.text)
            except AffidavitError as exc:
                raise VerificationError(f"{where}: signature or format invalid: {exc}") from None
            if cp.origin != self.origin:
                raise VerificationError(f"{where}: origin {cp.origin!r} is not {self.origin!r}")
            if cp.size != cp_size:
                raise VerificationError(f"{where}: the signed size is {cp.size}")
            if cp.root != frontier_root(frontier):
                raise VerificationError(
                    f"{where}: the signed root differs from the recomputed root (an entry at "
                    f"or before {cp_size - 1} was modified, inserted or deleted)"
                )
            self.checkpoint_count += 1
            self.latest_checkpoint = cp_size
            self.next_checkpoint = next(self.checkpoints, None)

    def erasure(self, seq: int, data: bytes, type_: str) -> None:
        """Match entry ``seq`` against the payload rows that claim it erased them."""
        claims = self.erasure_claims.pop(seq, set())
        if type_ != PayloadErased.type:
            if claims:
                raise VerificationError(
                    f"entry {seq}: payload rows claim it erased them, but it is a {type_} entry"
                )
            return
        entry = json.loads(data)
        body = entry["body"]
        listed = {(p["seq"], p["ordinal"], p["sha256"]) for p in body["payloads"]}
        if listed != claims:
            raise VerificationError(
                f"entry {seq}: the payloads this erasure lists differ from the payload rows "
                "marked erased by it (an erasure marker was added, removed or moved)"
            )
        if len(self.erasures) < MAX_LISTED_ERASURES:
            self.erasures.append(
                {
                    "entry": seq,
                    "time": entry["time"],
                    "actor": entry["actor"],
                    "rule": body.get("rule"),
                    "reason": body.get("reason"),
                    "payloads": len(listed),
                }
            )

    def no_stray_nodes(self, end: int) -> None:
        """After entry ``end - 1``, no stored subtree may end at or before ``end``."""
        if self.next_node is not None and self.next_node[0] < (end + 1) * 64:
            raise VerificationError(
                f"entry {end - 1}: ledger_nodes has a row (id {self.next_node[0]}) that belongs "
                "to no subtree of the log (row inserted or its id modified)"
            )

    def leftovers(self, size: int) -> None:
        if self.next_checkpoint is not None:
            raise VerificationError(
                f"checkpoint at size {self.next_checkpoint[0]} covers entries that do not exist "
                f"(the log has {size}): entries were deleted from the end"
            )
        if self.next_node is not None:
            raise VerificationError(
                f"ledger_nodes has a row (id {self.next_node[0]}) beyond the {size} entries "
                "(row inserted, or entries deleted from the end)"
            )
        if self.next_payload is not None:
            raise VerificationError(
                f"entry {self.next_payload[0]}: payload row exists but the entry does not"
            )
        if self.erasure_claims:
            seq = min(self.erasure_claims)
            raise VerificationError(
                f"payload rows claim erasure by entry {seq}, which does not exist"
            )


def _check_meta(conn: Connection, verifier_key: str, origin: str) -> None:
    stored = dict(conn.execute(select(meta.c.key, meta.c.value)).all())
    if stored.get("log_verifier_key") != verifier_key:
        raise VerificationError("affidavit_meta: log_verifier_key is not the log's key")
    if stored.get("log_origin") != origin:
        raise VerificationError("affidavit_meta: log_origin is not the log key's origin")


def verify_ledger(
    db: Database,
    verifier_key: str,
    origin: str,
    progress: Progress | None = None,
    *,
    vault: Vault | None = None,
    anchors: Sequence[Anchor] = (),
    witnesses: Sequence[str] = (),
    witness_quorum: int | None = None,
) -> VerifyReport:
    """Verify everything; raise VerificationError at the first discrepancy.

    With the ``vault``, every live payload is also decrypted and hashed; without
    it (an auditor holding only the verifier key) payload contents are not read.
    The log must extend every one of ``anchors`` and still store it. With
    ``witnesses`` (verifier keys), a stored checkpoint must carry valid
    cosignatures by ``witness_quorum`` of them (default: all).
    """
    if witnesses:
        cosignature.quorum_of(witnesses, witness_quorum)  # bad arguments fail before the work
    with db.read() as conn:
        _check_meta(conn, verifier_key, origin)
        last = conn.execute(select(func.max(ledger_entries.c.seq))).scalar()
        total = last + 1 if isinstance(last, int) else 0
        checker = _Checker(conn, verifier_key, origin, vault)
        expected = 0
        try:
            frontier: tree.Frontier = []
            checker.checkpoints_at(0, frontier)
            rows = _stream(
                conn,
                "SELECT seq, leaf_hash, entry, type, case_id, actor, time "
                "FROM ledger_entries ORDER BY seq",
                "entries",
            )
            checker.streams.append(rows)
            sha256 = hashlib.sha256
            for seq, leaf_hash, data, type_, case_id, actor, time in rows:
                if seq != expected:
                    what = (
                        "missing (row deleted or its seq modified)"
                        if seq > expected
                        else "repeated"
                    )
                    raise VerificationError(f"entry {expected}: {what}")
                data = bytes(data)
                leaf = sha256(b"\x00" + data).digest()
                if leaf != bytes(leaf_hash):
                    stored = bytes(leaf_hash).hex()[:16]
                    raise VerificationError(
                        f"entry {seq}: leaf hash {stored}... does not match the entry bytes "
                        f"(recomputed {leaf.hex()[:16]}...): the entry or its leaf_hash was "
                        "modified"
                    )
                refs = checker.payload_refs(seq)
                if checker.erasure_claims or type_ == PayloadErased.type:
                    checker.erasure(seq, data, type_)
                if not (
                    data.startswith(entry_prefix(actor))
                    and data.endswith(entry_tail(case_id, refs, time, type_))
                ):
                    raise VerificationError(
                        f"entry {seq}: its type/case_id/actor/time columns or payload rows do not "
                        "match the entry bytes"
                    )
                end = seq + 1
                for level, _index, digest in frontier_append(frontier, leaf, seq):
                    checker.subtree(level, end, digest)
                checker.no_stray_nodes(end)
                checker.checkpoints_at(end, frontier)
                expected = end
                if progress is not None and end % _CHUNK == 0:
                    progress(end, total)
            checker.leftovers(expected)
            if progress is not None:
                progress(expected, total)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            # A column whose type was altered (seq or entry stored as text...): say
            # where, without echoing the stored value.
            raise VerificationError(
                f"entry {expected}: its row, or a payload, subtree or checkpoint row stored "
                f"with it, holds a value of the wrong type or shape ({type(exc).__name__}): "
                "the table was altered"
            ) from None
        finally:
            checker.close()
        check_anchors(conn, anchors, expected, frontier_root(frontier))
        witnessed = latest_witnessed(conn, witnesses, witness_quorum) if witnesses else None
        return VerifyReport(
            size=expected,
            root=frontier_root(frontier),
            checkpoints=checker.checkpoint_count,
            latest_checkpoint_size=checker.latest_checkpoint,
            payloads=checker.payload_count,
            erased=checker.erased_count,
            erasures=tuple(checker.erasures),
            payloads_decrypted=vault is not None,
            anchors=tuple(a.signed.size for a in anchors),
            witnessed=witnessed,
        )
