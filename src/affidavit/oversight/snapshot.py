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
from typing import Any

from affidavit.errors import InputError, NotFound, StorageError
from affidavit.ledger.reader import LedgerReader
from affidavit.oversight.health import SAVED_FIELDS, HealthState
from affidavit.oversight.spike import SpikeDetector, SpikePeriod, SpikeSettings

__all__ = ["current_state", "save_state", "state_from_json", "state_to_json"]

_FORMAT = 1


def state_to_json(state: HealthState) -> dict[str, Any]:
    """The state as plain JSON data, to save beside the ledger and resume from."""
    saved: dict[str, Any] = {name: getattr(state, name) for name in SAVED_FIELDS}
    spike = state.spike
    saved["spike"] = {
        "weight": spike.weight,
        "at": spike.at,
        "active": spike.active,
        "peak": spike.peak,
        "start": spike.start,
        "periods": [[p.start, p.end, p.peak] for p in spike.periods],
    }
    saved["format"] = _FORMAT
    return saved


def state_from_json(data: Any, spike_settings: SpikeSettings) -> HealthState:
    """A state saved by :func:`state_to_json`; InputError when it is not one."""
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise InputError("not a saved health state of this version")
    try:
        state = HealthState(spike_settings, **{name: data[name] for name in SAVED_FIELDS})
        # JSON made the records lists; tuples again, as the fold makes them.
        for records in (state.proposals, state.steps, state.final, state.views):
            for key, value in records.items():
                records[key] = tuple(value)
        for by_approver in state.approvals.values():
            for approver, found in by_approver.items():
                by_approver[approver] = [tuple(a) for a in found]
        spike = data["spike"]
        state.spike = SpikeDetector(
            spike_settings,
            weight=float(spike["weight"]),
            at=spike["at"],
            active=bool(spike["active"]),
            peak=float(spike["peak"]),
            start=spike["start"],
            periods=[SpikePeriod(s, e, float(p)) for s, e, p in spike["periods"]],
        )
    except (KeyError, TypeError, ValueError):
        raise InputError("the saved health state is incomplete or malformed") from None
    return state


def _usable(data: object, ledger: LedgerReader, spike: SpikeSettings) -> HealthState | None:
    if not isinstance(data, dict) or data.get("spike_settings") != asdict(spike):
        return None
    try:
        state = state_from_json(data.get("state"), spike)
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
    state.resumed_from = state.position
    state.catch_up(ledger)
    return state


def save_state(state: HealthState, path: Path) -> None:
    data = {"spike_settings": asdict(state.spike_settings), "state": state_to_json(state)}
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
