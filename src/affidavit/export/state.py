"""Each sink's cursor: the last ledger entry it has received, kept in a small file.

``$AFFIDAVIT_HOME/export/<sink>.json`` holds the sequence number and leaf
hash of the last entry the sink acknowledged, and the sink's recent failures.
The file is replaced atomically (written aside, fsynced, renamed), and only
after the sink acknowledged a batch: a crash or a restart resumes after the
last acknowledged entry, so nothing is lost and at most one batch is sent
again. The leaf hash detects a cursor that belongs to another ledger (a
replaced database) instead of silently skipping or repeating entries.

One exporter runs per ``AFFIDAVIT_HOME`` at a time (``export/.lock``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from affidavit.errors import ConfigError, Conflict, StorageError

__all__ = ["SinkState", "StateStore"]

_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_MAX_STATE_BYTES = 64 << 10


@dataclass
class SinkState:
    sink: str
    last_seq: int | None = None
    """The last ledger entry the sink acknowledged (None: nothing yet)."""
    last_leaf: str | None = None
    delivered: int = 0
    """Events the sink acknowledged, all runs together."""
    failures: int = 0
    """Failed tries in a row; 0 after a success."""
    last_error: str | None = None
    last_attempt: str | None = None
    last_success: str | None = None

    @property
    def next_seq(self) -> int:
        return 0 if self.last_seq is None else self.last_seq + 1


class StateStore:
    """The cursor files of every sink, in one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _path(self, sink: str) -> Path:
        if _NAME.fullmatch(sink) is None:
            raise ConfigError(f"{sink!r} is not a sink name.")
        return self.directory / f"{sink}.json"

    def load(self, sink: str) -> SinkState:
        path = self._path(sink)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return SinkState(sink)
        except OSError as exc:
            raise StorageError(f"cannot read the export cursor {path}: {exc.strerror}.") from None
        damaged = ConfigError(
            f"the export cursor {path} is damaged; restore it, or delete it to export the "
            "whole ledger to this sink again."
        )
        if len(data) > _MAX_STATE_BYTES:
            raise damaged
        try:
            parsed: Any = json.loads(data)
        except ValueError:
            raise damaged from None
        names = {f.name for f in fields(SinkState)}
        if not isinstance(parsed, dict) or set(parsed) != names or parsed["sink"] != sink:
            raise damaged
        state = SinkState(**parsed)
        ok = (
            (state.last_seq is None or (type(state.last_seq) is int and state.last_seq >= 0))
            and (state.last_leaf is None or isinstance(state.last_leaf, str))
            and (state.last_seq is None) == (state.last_leaf is None)
            and type(state.delivered) is int
            and type(state.failures) is int
        )
        if not ok:
            raise damaged
        return state

    def save(self, state: SinkState) -> None:
        path = self._path(state.sink)
        data = json.dumps(asdict(state), indent=2, sort_keys=True).encode() + b"\n"
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{state.sink}.", dir=self.directory)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            directory = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(directory)  # the rename itself survives a power cut
            finally:
                os.close(directory)
        except OSError as exc:
            raise StorageError(
                f"cannot write the export cursor {path}: {exc.strerror}; nothing was skipped, "
                "the batch will be sent again."
            ) from None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the exporter lock of this home; Conflict when another exporter holds it."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle = open(self.directory / ".lock", "a+b")  # noqa: SIM115 - held for the block
        except OSError as exc:
            raise StorageError(f"cannot open the export lock: {exc.strerror}.") from None
        try:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Conflict(
                    f"another `affidavit export run` is using {self.directory}; "
                    "run one exporter per AFFIDAVIT_HOME."
                ) from None
            yield
        finally:
            handle.close()
