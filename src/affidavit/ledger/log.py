"""The evidence ledger: durable appends with group commit, proofs, checkpoints.

One writer thread per process owns all writes. Callers hand it entries (or
commands, see :meth:`Ledger.execute`) and wait; while it commits one batch
(one exclusive transaction, one WAL fsync), the next batch queues up, so N
concurrent callers share one commit. Nothing returns before its commit.

Several processes may append to one database: the write transaction is
exclusive, the writer re-reads the tree size inside it, and reloads the tree's
right edge when another process has appended since. Sequence numbers are the
primary key, so a fork or a reused number cannot be committed.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import SQLAlchemyError

from affidavit.clock import Clock, iso, system_clock
from affidavit.config import Settings
from affidavit.errors import AffidavitError, InputError, NotFound, StorageError, VerificationError
from affidavit.ledger import merkle, tree
from affidavit.ledger.batch import Appended, Batch, Projector
from affidavit.ledger.entry import Entry
from affidavit.ledger.events import PayloadErased
from affidavit.ledger.identity import bind_log_key, bind_vault_key
from affidavit.ledger.keys import LogKey
from affidavit.ledger.note import Checkpoint
from affidavit.ledger.reader import ConsistencyProof, InclusionProof, LedgerReader
from affidavit.store import Database, open_database
from affidavit.store.engine import insert_ignore
from affidavit.store.schema import ledger_checkpoints, ledger_payloads
from affidavit.store.vault import SealedPayload, Vault

if TYPE_CHECKING:
    from affidavit.ledger.verify import VerifyReport

__all__ = ["Appended", "Batch", "ConsistencyProof", "Erasure", "InclusionProof", "Ledger"]

MAX_BATCH = 2048
COMMIT_DELAY_S = 0.0005
"""How long the writer waits for stragglers when more appenders were active."""
T = TypeVar("T")
_STOP = object()


@dataclass(frozen=True)
class Erasure:
    """The ``payload.erased`` entry and how many payloads it shredded."""

    seq: int
    payloads: int


class _Pending:
    """One caller's request: an entry to append, or a command to run."""

    __slots__ = (
        "command",
        "data",
        "done",
        "entry",
        "error",
        "projector",
        "result",
        "sealed",
        "time",
    )

    def __init__(
        self,
        entry: Entry | None = None,
        data: bytes | None = None,
        command: Callable[[Batch], Any] | None = None,
        sealed: list[SealedPayload] | None = None,
        time: str = "",
        projector: Projector | None = None,
    ) -> None:
        self.entry = entry
        self.projector = projector
        self.data = data
        self.sealed = sealed
        self.command = command
        self.time = time
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def wait(self) -> Any:
        self.done.wait()
        if self.error is not None:
            if isinstance(self.error, AffidavitError):
                raise self.error
            raise StorageError(f"the ledger write failed: {self.error}") from self.error
        return self.result


class Ledger(LedgerReader):
    """Append-only, verifiable log of every governance state change."""

    def __init__(
        self,
        db: Database,
        key: LogKey,
        vault: Vault,
        *,
        checkpoint_every: int = 1000,
        checkpoint_interval_s: float = 60.0,
        clock: Clock = system_clock,
    ) -> None:
        self.db = db
        self.clock = clock  # for callers that give no time of their own (the Governor does)
        self.key = key
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

    @classmethod
    def open(
        cls, settings: Settings, *, create: bool = True, clock: Clock = system_clock
    ) -> Ledger:
        """Open the ledger of ``settings``, creating its key and identity if new."""
        db = open_database(settings.database_url)
        try:
            key = bind_log_key(db, settings, create=create)
            vault = Vault(bind_vault_key(db, settings))
        except BaseException:
            db.close()
            raise
        return cls(
            db,
            key,
            vault,
            checkpoint_every=settings.checkpoint_every,
            checkpoint_interval_s=settings.checkpoint_interval_s,
            clock=clock,
        )

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
        pending = [
            _Pending(e, e.encode(), sealed=[self.vault.seal(p) for p in e.payloads])
            for e in entries
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
        pending = _Pending(
            command=command,
            time=iso(self.clock() if now is None else now),
            projector=projector,
        )
        self._submit([pending])
        result: T = pending.wait()
        return result

    def _submit(self, pending: list[_Pending]) -> None:
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

    def _gather(self, first: _Pending) -> tuple[list[_Pending], bool]:
        """Take what is queued; when the last batch was bigger, wait briefly for the rest.

        Like PostgreSQL's commit_delay, but adaptive: a lone appender never
        waits; N concurrent appenders share one fsync instead of trickling in
        one or two per commit.
        """
        items: list[_Pending] = [first]
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

    def _commit(self, items: list[_Pending]) -> None:
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
                        _run_command(batch, p)
                batch.flush()
                if self._checkpoint_due(batch.size, last_checkpoint):
                    self._store_checkpoint(conn, batch.size, merkle.frontier_root(batch.frontier))
                self._size, self._frontier = batch.size, batch.frontier
            self._high_water = batch.size  # committed: the with-block has exited
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
        row = conn.exec_driver_sql(
            "SELECT (SELECT max(seq) FROM ledger_entries), "
            "(SELECT max(size) FROM ledger_checkpoints)"
        ).one()
        size = 0 if row[0] is None else int(row[0]) + 1
        signed = int(row[1] or 0)
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
                "(run `affidavit ledger verify`)"
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

    def _store_checkpoint(self, conn: Connection, size: int, root: bytes) -> str:
        signed = self.key.sign(Checkpoint(origin=self.origin, size=size, root=root).format())
        insert_ignore(conn, ledger_checkpoints, {"size": size, "note": signed})
        self._last_checkpoint_at = time.monotonic()
        stored = conn.execute(
            select(ledger_checkpoints.c.note).where(ledger_checkpoints.c.size == size)
        ).scalar_one()
        return str(stored)

    def _checkpoint_if_stale(self) -> None:
        # On failure the next append or interval tries again; never kill the writer.
        with contextlib.suppress(AffidavitError):
            self.checkpoint()

    def checkpoint(self) -> str:
        """Sign (if needed) and return the checkpoint for the current tree size."""
        try:
            with self._state_lock, self.db.write() as conn:
                size, _ = self._heads(conn)
                existing = conn.execute(
                    select(ledger_checkpoints.c.note).where(ledger_checkpoints.c.size == size)
                ).scalar()
                if existing is not None:
                    return str(existing)
                return self._store_checkpoint(conn, size, merkle.frontier_root(self._frontier))
        except SQLAlchemyError as exc:
            self._size = -1
            raise StorageError(f"could not store the checkpoint: {exc}") from exc

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
        refs = list(dict.fromkeys(sha256_refs))
        if not refs or len(refs) > 10_000:
            raise InputError("erase between 1 and 10,000 payloads at a time")
        t = ledger_payloads

        def command(batch: Batch) -> Erasure:
            rows = batch.conn.execute(
                select(t.c.seq, t.c.ordinal, t.c.sha256)
                .where(t.c.sha256.in_(refs), t.c.erased_seq.is_(None))
                .order_by(t.c.seq, t.c.ordinal)
            ).all()
            if not rows:
                raise NotFound("no live payload has any of those SHA-256 hashes")
            appended = batch.emit(
                PayloadErased(
                    actor=actor,
                    erased=tuple((r.seq, r.ordinal, r.sha256) for r in rows),
                    rule=rule,
                    reason=reason,
                )
            )
            for r in rows:
                batch.conn.execute(
                    update(t)
                    .where(t.c.seq == r.seq, t.c.ordinal == r.ordinal)
                    .values(data=b"", wrapped_key=None, kek_id=None, erased_seq=appended.seq)
                )
            return Erasure(appended.seq, len(rows))

        erasure = self.execute(command, now=now)
        self.db.purge_freed_pages()
        return erasure

    def verify(self, progress: Callable[[int, int], None] | None = None) -> VerifyReport:
        """Full verification with this ledger's key and vault (see ``ledger.verify``)."""
        from affidavit.ledger.verify import verify_ledger

        return verify_ledger(self.db, self.verifier_key, self.origin, progress, vault=self.vault)

    # -- lifecycle --------------------------------------------------------

    def close(self) -> None:
        """Finish everything queued, then release the database."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._queue.put(_STOP)
            self._writer.join()
        if self._conn is not None:
            self._conn.close()
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _run_command(batch: Batch, p: _Pending) -> None:
    assert p.command is not None
    mark = batch.mark()
    batch.time, batch.projector = p.time, p.projector
    savepoint = batch.conn.begin_nested()
    try:
        p.result = p.command(batch)
    except Exception as exc:
        savepoint.rollback()
        batch.restore(mark)
        p.error = exc
    else:
        savepoint.commit()
