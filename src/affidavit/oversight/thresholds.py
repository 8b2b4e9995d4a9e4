"""Thresholds of the governance health signals (a YAML file can set them)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from affidavit.errors import InputError

__all__ = ["HealthThresholds"]


@dataclass(frozen=True)
class HealthThresholds:
    """When a signal is raised. Shares and rates are fractions in [0, 1]."""

    fast_approval_s: float = 30.0
    """An approval sooner than this after the proposal is fast."""
    fast_share: float = 0.5
    """Flag an approver when at least this share of their approvals is fast."""
    no_evidence_share: float = 0.5
    """Flag an approver when at least this share of their approvals opened no evidence."""
    always_approve_rate: float = 0.98
    """Flag an approver who approves at least this share of their decisions ..."""
    high_volume: int = 20
    """... when they decided at least this many in the window."""
    min_decisions: int = 5
    """Fewer approvals than this raise no fast or no-evidence flag (too few to tell)."""
    drift_recent_days: int = 7
    """The recent window of the drift signal: the last N days of the report window."""
    drift_min_dispositions: int = 10
    """Dispositions needed in both the recent and the baseline window to compare."""
    drift_delta: float = 0.2
    """Flag an agent whose acceptance rate moved by at least this much."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"threshold {f.name} must be a number")
            if not math.isfinite(value) or value < 0:
                raise InputError(f"threshold {f.name} must be a finite number >= 0")
            if f.name.endswith(("_share", "_rate", "_delta")) and value > 1:
                raise InputError(f"threshold {f.name} is a fraction between 0 and 1")
            if f.type in ("int", int) and value != int(value):
                raise InputError(f"threshold {f.name} must be a whole number")

    @classmethod
    def load(cls, path: Path) -> HealthThresholds:
        """Thresholds from a YAML mapping of the names above (others keep their defaults)."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
            raise InputError(f"cannot read thresholds from {path.name}: not a YAML file") from None
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise InputError("a thresholds file is a YAML mapping of threshold names to numbers")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise InputError(f"unknown thresholds: {', '.join(unknown)[:200]}")
        return cls(**data)
