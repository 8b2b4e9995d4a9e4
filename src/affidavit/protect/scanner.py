"""The scanner: detectors compiled for one configuration and one engine."""

from __future__ import annotations

import bisect
import itertools
import threading
from collections.abc import Iterable, Mapping
from typing import Literal

from affidavit.errors import ConfigError, InputError
from affidavit.protect._views import (
    BASE64_RUNS,
    ESCAPES,
    base64_view,
    edit_views,
    unicode_triggers,
)
from affidavit.protect.config import ScanConfig
from affidavit.protect.detector import CustomFind, Detector, Kind
from affidavit.protect.engines import (
    Compiled,
    HyperscanEngine,
    ReEngine,
    compile_pattern,
    hyperscan_available,
)
from affidavit.protect.finding import DataClass, Finding
from affidavit.protect.registry import load_detectors, merge_detectors
from affidavit.protect.resolve import Candidate, resolve_overlaps

__all__ = ["EngineName", "Scanner", "default_scanner", "scan"]

EngineName = Literal["auto", "hyperscan", "re"]


class Scanner:
    """Finds sensitive values in text.

    ``engine="auto"`` uses hyperscan when it is importable and the pure ``re`` engine
    otherwise; both give identical findings. A scanner is immutable and safe to share
    between threads.
    """

    def __init__(
        self,
        config: ScanConfig | None = None,
        *,
        detectors: Iterable[Detector] | None = None,
        engine: EngineName = "auto",
    ) -> None:
        self.config = config if config is not None else ScanConfig()
        if not isinstance(self.config, ScanConfig):
            raise ConfigError("Scanner config must be a ScanConfig.")
        chosen = load_detectors() if detectors is None else merge_detectors(detectors)
        self.detectors: tuple[Detector, ...] = chosen
        self._kinds: dict[str, Kind] = {}
        # A slot is one (kind, detector) pair: resolution ranks slots, findings name both.
        self._slots: list[tuple[Kind, str]] = []
        slot_of: dict[tuple[str, str], int] = {}
        compiled: list[Compiled] = []
        self._finders: list[tuple[CustomFind, Detector]] = []
        for detector in chosen:
            for kind in detector.kinds:
                self._declare(kind, detector.name)
                slot_of[(kind.name, detector.name)] = len(self._slots)
                self._slots.append((kind, detector.name))
            for pattern in detector.patterns_for(self.config):
                compiled.append(compile_pattern(pattern, slot_of[(pattern.kind, detector.name)]))
            if detector.find is not None:
                self._finders.append((detector.find(self.config), detector))
        # Base64 runs and escapes are found by the engine too (one pass over the text),
        # under two slots past the real ones; the scanner decodes the runs and builds
        # views around the escapes.
        self._base64_slot = len(self._slots)
        self._escape_slot = self._base64_slot + 1
        if self.config.undo_evasions:
            compiled.extend(compile_pattern(run, self._base64_slot) for run in BASE64_RUNS)
            compiled.extend(compile_pattern(escape, self._escape_slot) for escape in ESCAPES)
        self._slot_of = slot_of
        self._priority = [kind.priority for kind, _ in self._slots]
        self._slot_names = [kind.name for kind, _ in self._slots]
        # (data class, kind, detector) per slot: what a finding repeats from its slot.
        self._labels = [(kind.data_class, kind.name, name) for kind, name in self._slots]
        self._engine = self._make_engine(engine, compiled)

    def _declare(self, kind: Kind, detector: str) -> None:
        known = self._kinds.setdefault(kind.name, kind)
        if known != kind:
            raise ConfigError(
                f"Detector {detector} declares kind {kind.name} differently from another "
                "detector (data class and priority must agree)."
            )

    @staticmethod
    def _make_engine(engine: str, compiled: list[Compiled]) -> HyperscanEngine | ReEngine:
        if engine == "re" or (engine == "auto" and not hyperscan_available()):
            return ReEngine(compiled)
        if engine in ("auto", "hyperscan"):
            return HyperscanEngine(compiled)
        raise ConfigError(f"Unknown scan engine {engine!r}; use 'auto', 'hyperscan' or 're'.")

    @property
    def engine(self) -> str:
        """The engine in use: ``"hyperscan"`` or ``"re"``."""
        return self._engine.name

    @property
    def kinds(self) -> Mapping[str, DataClass]:
        """Every kind this scanner can report, with its data class."""
        return {name: kind.data_class for name, kind in self._kinds.items()}

    def scan(self, text: str) -> list[Finding]:
        """Findings in ``text``, sorted by start, never overlapping."""
        if not isinstance(text, str):
            hint = " (decode bytes first)" if isinstance(text, bytes | bytearray) else ""
            raise InputError(f"scan() needs text (str), not {type(text).__name__}{hint}.")
        if len(text) > self.config.max_input_chars:
            raise InputError(
                f"Text of {len(text)} characters is over the scan limit of "
                f"{self.config.max_input_chars}; split it into smaller pieces."
            )
        if not text:
            return []
        candidates = self._engine.candidates(text)
        if self.config.undo_evasions:
            candidates = self._with_views(text, candidates)
        for finder, detector in self._finders:
            candidates.extend(self._custom(finder, detector, text))
        if not candidates:  # most lines of a log: nothing to resolve or build
            return []
        # Two patterns of one kind often find the same value (a host name by its field
        # and by its domain): identical candidates are dropped here, at C speed.
        resolved = resolve_overlaps(list(set(candidates)), self._priority, self._slot_names)
        return Finding._trusted_many(resolved, self._labels)

    def _with_views(self, text: str, candidates: list[Candidate]) -> list[Candidate]:
        """``candidates`` plus those found in views of ``text`` with evasions undone
        (see ``_views.py``), mapped to ``text``'s offsets. Escapes and base64 runs
        inside a value already found as a specific kind need no view: that value is
        reported whole (a generic assignment may still turn out to be, say, an AWS key)."""
        base64_slot = self._base64_slot  # the escape slot is the one after it
        special = [c for c in candidates if c[2] >= base64_slot]
        positions = unicode_triggers(text)
        if not positions and not special:
            return candidates
        runs: list[Candidate] = []
        if special:
            candidates = [c for c in candidates if c[2] < base64_slot]
            runs = [c for c in special if c[2] == base64_slot]
            positions.extend(c[0] for c in special if c[2] != base64_slot)
        positions.sort()
        priority = self._priority
        covered = _Coverage([c for c in candidates if priority[c[2]] >= _SPECIFIC])
        views = edit_views(text, [p for p in positions if not covered(p, p + 1)])
        views.extend(
            view
            for start, end, _ in runs
            if not covered(start, end) and (view := base64_view(text, start, end)) is not None
        )
        # A log repeats itself: the same escaped line or base64 blob is scanned once.
        seen: dict[str, list[Candidate]] = {}
        for view in views:
            found = seen.get(view.text)
            if found is None:
                found = [c for c in self._engine.candidates(view.text) if c[2] < base64_slot]
                seen[view.text] = found  # one level of base64 only: no runs inside a view
            for start, end, slot in found:
                candidates.append((*view.span(start, end), slot))
        return candidates

    def _custom(self, finder: CustomFind, detector: Detector, text: str) -> list[Candidate]:
        found: list[Candidate] = []
        for kind, start, end in finder(text):
            slot = self._slot_of.get((kind, detector.name))
            if slot is None or type(start) is not int or type(end) is not int:
                raise ConfigError(
                    f"Detector {detector.name} reported {kind!r}, which it does not declare."
                )
            if not 0 <= start < end <= len(text):
                raise ConfigError(
                    f"Detector {detector.name} reported a span [{start}, {end}) outside the text."
                )
            found.append((start, end, slot))
        return found


# Kinds at or above this priority identify themselves (tokens, keys, URLs with
# credentials); below it a finding rests on context (assignments, personal data).
_SPECIFIC = 70


class _Coverage:
    """Whether a span lies inside one of a set of spans (sorted once, then bisected)."""

    def __init__(self, spans: list[Candidate]) -> None:
        spans.sort()
        self._starts = [span[0] for span in spans]
        self._reach = list(itertools.accumulate((span[1] for span in spans), max))

    def __call__(self, start: int, end: int) -> bool:
        index = bisect.bisect_right(self._starts, start) - 1
        return index >= 0 and self._reach[index] >= end


_default: Scanner | None = None
_default_lock = threading.Lock()


def default_scanner() -> Scanner:
    """The shared scanner with the default configuration and every installed detector."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Scanner()
        return _default


def scan(text: str) -> list[Finding]:
    """Findings in ``text`` with the default scanner (see :class:`Scanner`)."""
    return default_scanner().scan(text)
