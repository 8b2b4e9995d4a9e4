"""The evidence ledger: durable appends with group commit, proofs, checkpoints.

One writer thread per process owns all writes. Callers hand it entries (or
commands, see :meth:`Ledger.execute`) and wait; while it commits one batch
(one exclusive transaction, one WAL fsync), the next batch queues up, so N
concurrent callers share one commit. Nothing returns before its commit.

Several processes may append to one database: the write transaction is
exclusive, the writer re-reads the tree size inside it, and reloads the tree's
right edge when another process has appended since. Sequence numbers are the
primary key, so a fork or a reused number cannot be committed.

Checkpoints are signed after the batch that makes one due has committed, by
:class:`affidavit.ledger.signer.Signer`, which refuses a tree that does not
extend the checkpoint it last signed; once it refused, nothing more is appended.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, select
from sqlalchemy.exc import SQLAlchemyError

from affidavit.clock import Clock, iso, system_clock
from affidavit.config import Settings
from affidavit.errors import AffidavitError, InputError, StorageError, VerificationError
from affidavit.ledger import merkle, tree
from affidavit.ledger.batch import Appended, Batch, Pending, Projector, run_command
from affidavit.ledger.entry import Entry
from affidavit.ledger.erasure import Erasure, erasure_command
from affidavit.ledger.identity import bind_log_key, bind_vault_key
from affidavit.ledger.keys import LogKey
from affidavit.ledger.reader import ConsistencyProof, InclusionProof, LedgerReader
from affidavit.ledger.signer import Signer
from affidavit.ledger.witnesses import (
    Outcome,
    WitnessClient,
    WitnessWorker,
    load_witnesses,
    store_cosignatures,
)
from affidavit.store import Database, open_database
from affidavit.store.engine import insert_ignore
from affidavit.store.schema import ledger_checkpoints
from affidavit.store.vault import Vault

if TYPE_CHECKING:
    from affidavit.ledger.verify import VerifyReport

__all__ = ["Appended", "Batch", "ConsistencyProof", "Erasure", "InclusionProof", "Ledger"]

MAX_BATCH = 2048
COMMIT_DELAY_S = 0.0005
"""How long the writer waits for stragglers when more appenders were active."""
T = TypeVar("T")
_STOP = object()


class Ledger(LedgerReader):
    """Append-only, verifiable log of every governance state change."""

    def __init__(
        self,
        db: Database,
        key: LogKey,
        vault: Vault,
        *,
        state_path: Path,
        checkpoint_every: int = 1000,
        checkpoint_interval_s: float = 60.0,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        # The time of commands that give none of their own (the Governor gives its own).
        # A clock given here (a test's, a simulation's) also stamps plain appends.
        self.clock = clock or system_clock
        self._stamp_appends = clock is not None
        self.key = key
        self.signer = Signer(key, state_path)
        self.vault = vault
        self.checkpoint_every = checkpoint_every
        self.checkpoint_interval_s = checkpoint_interval_s
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()
        self._conn: Connection | None = None  # the writer thread's own connection
        # _size/_frontier cache the tree's right edge between batches; the lock
        # guards them against checkpoint() from other threads.
        self._state_lock = threading.Lock()
        self._size = -1  # -1: unknown, reload inside the next transaction
        self._high_water = 0  # the largest size this process has seen committed
        self._frontier: tree.Frontier = []
        self._last_checkpoint_at = time.monotonic()
        self._closed = False
        self._expected = 1  # entries in the last batch: the group-commit target
        self._refused: VerificationError | None = None  # the signer refused this tree
        self.witnesses: WitnessClient | None = None
        self._witness_worker: WitnessWorker | None = None
        self._submitted_size = -1

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        create: bool = True,
        clock: Clock | None = None,
    ) -> Ledger:
        """Open the ledger of ``settings``, creating its key and identity if new.

        ``clock`` (default: the system clock) times commands that give no time of
        their own; given explicitly, it also stamps plain appends."""
        db = open_database(settings.database_url)
        try:
            key = bind_log_key(db, settings, create=create)
            vault = Vault(bind_vault_key(db, settings))
            ledger = cls(
                db,
                key,
                vault,
                state_path=settings.log_state_path,
                checkpoint_every=settings.checkpoint_every,
                checkpoint_interval_s=settings.checkpoint_interval_s,
                clock=clock,
            )
            ledger.signer.last_signed()  # a corrupt or foreign state file: refuse now
            witnesses = load_witnesses(settings.witnesses_path)
            ledger.witnesses = WitnessClient(witnesses) if witnesses else None
        except BaseException:
            db.close()
            raise
        return ledger

    @property
    def origin(self) -> str:
        return self.key.origin

    @property
    def verifier_key(self) -> str:
        return self.key.verifier_key

    # -- writing ----------------------------------------------------------

    def append(self, entry: Entry) -> Appended:
        """Append one entry; returns once it is durably committed."""
        return self.append_many([entry])[0]

    def append_many(self, entries: Sequence[Entry]) -> list[Appended]:
        """Append entries in order (consecutive unless other appenders interleave)."""
        for e in entries:
            if not isinstance(e, Entry):
                raise InputError(f"append takes Entry objects, got {type(e).__name__}")
        if self._stamp_appends:
            entries = [dataclasses.replace(e, time=iso(self.clock())) for e in entries]
        pending = [
            Pending(e, e.encode(), sealed=[self.vault.seal(p) for p in e.payloads]) for e in entries
        ]
        self._submit(pending)
        return [p.wait() for p in pending]

    def execute(
        self,
        command: Callable[[Batch], T],
        *,
        now: datetime | None = None,
        projector: Projector | None = None,
    ) -> T:
        """Run ``command`` inside the next group commit; return its result once durable.

        The command runs in the writer thread, inside the exclusive write
        transaction, under its own savepoint: it reads and writes state tables
        through ``batch.conn`` and appends entries with ``batch.append``, so its
        checks and its writes cannot race another writer. It must not block
        (no network I/O). If it raises, its writes and appends are undone, the
        error is raised here, and the rest of the batch commits.

        ``now`` is the command's time, the one its checks compared against:
        ``batch.time`` while it runs, and so the time of the entries it emits.
        Without it, the ledger's own clock is read once, here. ``projector``
        applies each event the command emits to the state tables.
        """
        pending = Pending(
            command=command,
            time=iso(self.clock() if now is None else now),
            projector=projector,
        )
        self._submit([pending])
        result: T = pending.wait()
        return result

    def _submit(self, pending: list[Pending]) -> None:
        if self._closed:
            raise StorageError("the ledger is closed")
        if self._writer is None:
            with self._writer_lock:
                if self._writer is None:
                    self._writer = threading.Thread(
                        target=self._run_writer, name="affidavit-ledger-writer", daemon=True
                    )
                    self._writer.start()
        for p in pending:
            self._queue.put(p)

    def _run_writer(self) -> None:
        interval = self.checkpoint_interval_s or None
        while True:
            try:
                first = self._queue.get(timeout=interval)
            except queue.Empty:
                self._checkpoint_if_stale()
                continue
            if first is _STOP:
                return
            items, stop = self._gather(first)
            self._commit(items)
            # Callers woken by this commit queue their next entries while the
            # writer loops; expect about as many as just committed.
            self._expected = len(items)
            if stop:
                return

    def _gather(self, first: Pending) -> tuple[list[Pending], bool]:
        """Take what is queued; when the last batch was bigger, wait briefly for the rest.

        Like PostgreSQL's commit_delay, but adaptive: a lone appender never
        waits; N concurrent appenders share one fsync instead of trickling in
        one or two per commit.
        """
        items: list[Pending] = [first]
        deadline: float | None = None
        while len(items) < MAX_BATCH:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                if len(items) >= self._expected:
                    break
                now = time.perf_counter()
                if deadline is None:
                    deadline = now + COMMIT_DELAY_S
                if now >= deadline:
                    break
                try:
                    item = self._queue.get(timeout=deadline - now)
                except queue.Empty:
                    break
            if item is _STOP:
                return items, True
            items.append(item)
        return items, False

    def _commit(self, items: list[Pending]) -> None:
        try:
            if self._conn is None:
                self._conn = self.db.engine.connect()
            with self._state_lock, self.db.transaction(self._conn) as conn:
                size, last_checkpoint = self._heads(conn)
                batch = Batch(conn, size, list(self._frontier), self.vault)
                for p in items:
                    if p.command is None:
                        assert p.entry is not None
                        p.result = batch.append(p.entry, p.data, p.sealed)
                    else:
                        run_command(batch, p)
                batch.flush()
                due = self._checkpoint_due(batch.size, last_checkpoint)
                self._size, self._frontier = batch.size, batch.frontier
            self._high_water = batch.size  # committed: the with-block has exited
            if due:  # signed only once committed: the signer's state never runs ahead
                self._checkpoint_quietly()
        except BaseException as exc:
            self._size = -1
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            error = exc
            if isinstance(exc, SQLAlchemyError):
                error = StorageError(f"the ledger could not commit: {type(exc).__name__}: {exc}")
            for p in items:
                p.result, p.error = None, error
        for p in items:
            p.done.set()

    def _heads(self, conn: Connection) -> tuple[int, int]:
        """(tree size, size of the latest checkpoint), read inside the write lock."""
        if self._refused is not None:
            raise self._refused
        row = conn.exec_driver_sql(
            "SELECT (SELECT max(seq) FROM ledger_entries), "
            "(SELECT max(size) FROM ledger_checkpoints)"
        ).one()
        size = 0 if row[0] is None else int(row[0]) + 1
        signed = max(int(row[1] or 0), self.signer.signed_size)
        # The log only grows. Fewer entries than a signed checkpoint covers, or
        # than this process has seen committed, means committed entries are
        # gone (failover to a replica that was behind, restore of an old backup,
        # deletion): appending would sign a second tree at sizes already
        # signed or acknowledged, a fork. Refuse rather than continue.
        if size < max(signed, self._high_water):
            raise VerificationError(
                f"the ledger has {size} entries but {max(signed, self._high_water)} were "
                "committed (a signed checkpoint or this process saw them): entries were lost "
                "or deleted; refusing to append until they are restored "
                "(run `affidavit ledger verify`; a new, empty database needs its own "
                "AFFIDAVIT_HOME and log key)"
            )
        if size != self._size:  # first use, or another process appended
            self._frontier = tree.load_frontier(conn, size)
            self._size = size
        self._high_water = size
        return size, signed

    # -- checkpoints ------------------------------------------------------

    def _checkpoint_due(self, size: int, last: int) -> bool:
        if size <= last:
            return False
        if self.checkpoint_every and size - last >= self.checkpoint_every:
            return True
        elapsed = time.monotonic() - self._last_checkpoint_at
        return bool(self.checkpoint_interval_s) and elapsed >= self.checkpoint_interval_s

    def _checkpoint_quietly(self) -> None:
        # A failed checkpoint never kills the writer: the next append or interval
        # tries again. A tree the signer refuses (rewound or forked) also stops appends.
        try:
            signed = self.checkpoint()
        except VerificationError as exc:
            self._refused = exc
            return
        except AffidavitError:
            return
        size = int(signed.split("\n", 2)[1])
        if self.witnesses is not None and size > self._submitted_size:
            if self._witness_worker is None:
                self._witness_worker = WitnessWorker(self.witness)
            self._witness_worker.submit(signed)
            self._submitted_size = size  # an idle writer does not post the same one again

    def _checkpoint_if_stale(self) -> None:
        self._checkpoint_quietly()

    def checkpoint(self, size: int | None = None) -> str:
        """The signed checkpoint at ``size`` (default: the current size).

        The one stored at exactly that size, else a new one, signed only if the
        tree extends the checkpoint the signer last signed (see ``signer``).
        """
        t = ledger_checkpoints
        try:
            with self._state_lock, self.db.write() as conn:
                current, _ = self._heads(conn)
                n = current if size is None else size
                if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= current:
                    raise InputError(f"checkpoint size must be between 0 and {current}, got {n}")
                stored = conn.execute(select(t.c.note).where(t.c.size == n)).scalar()
                if stored is not None:
                    return str(stored)
                root = (
                    merkle.frontier_root(self._frontier) if n == current else tree.root_at(conn, n)
                )
                signed = self.signer.sign(conn, current, n, root)
                insert_ignore(conn, t, {"size": n, "note": signed})
                self._last_checkpoint_at = time.monotonic()
                return signed
        except SQLAlchemyError as exc:
            self._size = -1
            raise StorageError(f"could not store the checkpoint: {exc}") from exc

    def witness(self, signed_note: str) -> tuple[str, list[Outcome]]:
        """Ask the configured witnesses to cosign a stored checkpoint; store their cosignatures.

        Returns the stored note (with every cosignature so far) and what each witness said.
        """
        if self.witnesses is None:
            return signed_note, []
        lines, outcomes = self.witnesses.collect(
            signed_note, lambda old, new: self.consistency_proof(old, new).hashes
        )
        return store_cosignatures(self.db, signed_note, lines), outcomes

    def latest_checkpoint(self) -> str | None:
        t = ledger_checkpoints
        with self.db.read() as conn:
            note = conn.execute(select(t.c.note).order_by(t.c.size.desc()).limit(1)).scalar()
        return None if note is None else str(note)

    # -- erasure and verification -----------------------------------------

    def erase(
        self,
        sha256_refs: Sequence[str],
        *,
        actor: str,
        rule: str,
        reason: str,
        now: datetime | None = None,
    ) -> Erasure:
        """Crypto-shred payloads: destroy their data keys and ciphertext, ledger the erasure.

        The entries that reference them, and every proof, stay valid;
        ``verify`` reports the payloads as erased (when, by whom, which rule).
        """
        erasure = self.execute(
            erasure_command(sha256_refs, actor=actor, rule=rule, reason=reason), now=now
        )
        self.db.purge_freed_pages()
        return erasure

    def verify(self, progress: Callable[[int, int], None] | None = None) -> VerifyReport:
        """Full verification with this ledger's key and vault (see ``ledger.verify``)."""
        from affidavit.ledger.verify import verify_ledger

        last = self.signer.last_signed()
        return verify_ledger(
            self.db,
            self.verifier_key,
            self.origin,
            progress,
            vault=self.vault,
            anchors=() if last is None else (self.signer.anchor(last),),
        )

    # -- lifecycle --------------------------------------------------------

    def close(self) -> None:
        """Finish everything queued, then release the database."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._queue.put(_STOP)
            self._writer.join()
        if self._witness_worker is not None and self.witnesses is not None:
            self._witness_worker.close(self.witnesses.timeout_s * len(self.witnesses.witnesses))
        if self._conn is not None:
            self._conn.close()
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
