"""One group commit: the entries, subtree hashes and payloads of a batch.

The ledger's writer thread builds a :class:`Batch` inside its exclusive write
transaction. Plain appends go straight in; a *command* (see
:meth:`affidavit.ledger.log.Ledger.execute`) receives the batch as its
transaction handle, reads through ``batch.conn`` and records what it decided
with ``batch.emit(event)``: the event's entry is appended, stamped with the
command's time (``batch.time``, from the caller's clock, see
``Ledger.execute``), and the command's projector applies the event to the
state tables in the same savepoint. If the command raises, its savepoint and
its appends are undone and the rest of the batch still commits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection

from affidavit.errors import AffidavitError, StorageError
from affidavit.ledger import merkle
from affidavit.ledger.entry import Entry
from affidavit.ledger.events import Event
from affidavit.store.schema import ledger_entries, ledger_nodes, ledger_payloads
from affidavit.store.vault import SealedPayload, Vault

__all__ = ["Appended", "Batch", "Pending", "Projector", "run_command"]

Projector = Callable[[Connection, Event, int, str], None]
"""Applies an event, recorded as entry ``seq`` at ``time``, to state tables:
``projector(conn, event, seq, time)``. Injected per command (``Ledger.execute``),
so the ledger knows nothing of the tables it feeds."""


class Appended(NamedTuple):
    seq: int
    leaf_hash: bytes


def _executemany(conn: Connection, table: Any, rows: list[tuple[Any, ...]]) -> None:
    """Bulk insert through the driver directly: the append hot path."""
    if not rows:
        return
    cols = [c.name for c in table.columns]
    names = ", ".join(cols)
    # Table and column names come from our own schema, never from input.
    if conn.dialect.paramstyle == "qmark":
        marks = ", ".join("?" * len(cols))
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)  # noqa: S608
    else:
        marks = ", ".join(f"%({c})s" for c in cols)
        params = [dict(zip(cols, r, strict=True)) for r in rows]
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", params)  # noqa: S608


class Batch:
    """The open write transaction of one group commit."""

    def __init__(
        self,
        conn: Connection,
        size: int,
        frontier: list[tuple[int, bytes]],
        vault: Vault,
    ) -> None:
        self.conn = conn
        self.size = size
        self.frontier = frontier
        self.vault = vault
        self.time = ""  # the running command's time, set by Ledger.execute
        self.projector: Projector | None = None  # the running command's, likewise
        self._entries: list[tuple[Any, ...]] = []
        self._nodes: list[tuple[int, bytes]] = []
        self._payloads: list[tuple[Any, ...]] = []

    def append(
        self,
        entry: Entry,
        data: bytes | None = None,
        sealed: Sequence[SealedPayload] | None = None,
    ) -> Appended:
        """Give ``entry`` the next sequence number in this transaction.

        ``data`` and ``sealed`` (the encoded entry and its encrypted payloads)
        may be prepared by the caller's thread to keep the writer lean.
        """
        if data is None:
            data = entry.encode()
        if sealed is None:
            sealed = [self.vault.seal(p) for p in entry.payloads]
        seq = self.size
        leaf = merkle.leaf_hash(data)
        for level, _index, digest in merkle.frontier_append(self.frontier, leaf, seq):
            self._nodes.append(((seq + 1) * 64 + level, digest))
        self._entries.append((seq, leaf, data, entry.type, entry.case, entry.actor, entry.time))
        for ordinal, s in enumerate(sealed):
            self._payloads.append((seq, ordinal, s.sha256, s.data, s.wrapped_key, s.kek_id, None))
        self.size = seq + 1
        return Appended(seq, leaf)

    def emit(self, event: Event) -> Appended:
        """Append ``event``'s entry at the command's time and apply it to the state tables."""
        appended = self.append(event.to_entry(self.time))
        if self.projector is not None:
            self.projector(self.conn, event, appended.seq, self.time)
        return appended

    def mark(self) -> tuple[int, list[tuple[int, bytes]], int, int, int]:
        return (
            self.size,
            list(self.frontier),
            len(self._entries),
            len(self._nodes),
            len(self._payloads),
        )

    def restore(self, mark: tuple[int, list[tuple[int, bytes]], int, int, int]) -> None:
        self.size, self.frontier = mark[0], mark[1]
        del self._entries[mark[2] :], self._nodes[mark[3] :], self._payloads[mark[4] :]

    def flush(self) -> None:
        """Insert everything appended so far (once, before commit)."""
        _executemany(self.conn, ledger_entries, self._entries)
        _executemany(self.conn, ledger_nodes, self._nodes)
        _executemany(self.conn, ledger_payloads, self._payloads)
        self._entries, self._nodes, self._payloads = [], [], []


class Pending:
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
        self.time = time
        self.projector = projector
        self.data = data
        self.sealed = sealed
        self.command = command
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


def run_command(batch: Batch, p: Pending) -> None:
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
