"""A saved :class:`HealthState`, so each health check folds only what is new.

The snapshot is a cache, never evidence: it is used only when it was made
with the same spike settings and its last folded entry is still the entry at
that position in this ledger (same leaf hash); otherwise the state is folded
again from the first entry. Written atomically, mode 0600.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from affidavit.errors import InputError, NotFound, StorageError
from affidavit.ledger.reader import LedgerReader
from affidavit.oversight.health import HealthState
from affidavit.oversight.spike import SpikeSettings

__all__ = ["current_state", "save_state"]


def _usable(data: object, ledger: LedgerReader, spike: SpikeSettings) -> HealthState | None:
    if not isinstance(data, dict) or data.get("spike_settings") != asdict(spike):
        return None
    try:
        state = HealthState.from_json(data.get("state"), spike)
    except InputError:
        return None
    if state.position == 0:
        return state
    try:
        last = ledger.entry(state.position - 1)
    except NotFound:
        return None  # the ledger is shorter than the snapshot: not this ledger
    return state if last.leaf_hash.hex() == state.last_leaf else None


def current_state(ledger: LedgerReader, path: Path | None, spike: SpikeSettings) -> HealthState:
    """The state folded up to the ledger's end, resumed from ``path`` when it can be."""
    state: HealthState | None = None
    if path is not None and path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            data = None
        state = _usable(data, ledger, spike)
    if state is None:
        state = HealthState(spike)
    state.catch_up(ledger)
    return state


def save_state(state: HealthState, path: Path) -> None:
    data = {"spike_settings": asdict(state.spike_settings), "state": state.to_json()}
    temporary = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, separators=(",", ":"))
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise StorageError(f"cannot save the health state to {path}: {exc.strerror}") from None
