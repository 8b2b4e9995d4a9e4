"""The plugin contract: a detector declares its kinds, patterns and validators.

A :class:`Pattern` carries two kinds of expression for the same thing:

* ``regex`` (Python ``re``, compiled with ``re.ASCII``) is authoritative: it decides the
  match and, through its ``value`` group if it has one, the finding's span. The ``re``
  engine runs it with ``finditer``.
* ``anchor`` (one Hyperscan expression or several; no look-around, no back-references)
  only says where a match may begin. The contract: wherever ``regex`` matches at
  position ``p``, some anchor has a match that starts at ``p``. The hyperscan engine then
  runs ``regex`` only there, reproducing ``finditer`` exactly (see ``engines.py``).
* With ``lookback`` (a character class, e.g. ``A-Za-z0-9._%+-``) the contract is relaxed
  for values with a variable-length head, like the local part of an e-mail address: the
  anchor (e.g. ``@[A-Za-z0-9]``) may start later, and ``p`` is the start of the run of
  ``lookback`` characters that ends where the anchor starts. ``regex`` must then begin
  with a look-behind excluding at least those characters (``(?<![A-Za-z0-9._%+-])``), so
  a match cannot begin anywhere else in the run. Hyperscan reports the leftmost start of
  the anchor matches ending at one place, so a lookback anchor must not be able to match
  both from its real start and from an earlier one (fixed-width anchors never can).

Keep anchors short, bounded (no ``*`` or ``+``: Hyperscan's start-of-match tracking is
costly for them) and selective: each anchor hit costs a Python call, while text with
no hits costs nothing.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from affidavit.errors import ConfigError
from affidavit.protect.config import ScanConfig
from affidavit.protect.finding import DataClass

__all__ = ["CustomFind", "Detector", "Kind", "Pattern", "Validator", "anchor_width"]

Validator = Callable[[str], bool]
# A detector that is not pattern-based (e.g. the Presidio adapter) yields
# (kind, start, end) for a text; both engines call it the same way.
CustomFind = Callable[[str], Iterable[tuple[str, int, int]]]

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_LEADING_LOOKBEHIND = re.compile(r"\(\?<!\[((?:\\.|[^\]\\])+)\]\)")
_UNBOUNDED = 1 << 16
try:  # the regex parser knows an expression's width; it is private, so it is optional
    _PARSER: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - every CPython from 3.11 has it
    _PARSER = None


def anchor_width(anchor: str, ignore_case: bool = False) -> tuple[int, int | None]:
    """(min, max) characters an anchor can match; max is None when unbounded or unknown."""
    if _PARSER is None:
        return (0, None)
    flags = re.ASCII | (re.IGNORECASE if ignore_case else 0)
    low, high = _PARSER.parse(anchor, flags).getwidth()
    return (int(low), None if high >= _UNBOUNDED else int(high))


@dataclass(frozen=True)
class Kind:
    """A kind of sensitive value. ``priority`` settles overlaps: the higher wins."""

    name: str
    data_class: DataClass
    priority: int

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or _NAME.fullmatch(self.name) is None:
            raise ConfigError(f"Kind name {self.name!r} must be a lower-case identifier.")
        if not isinstance(self.data_class, DataClass):
            raise ConfigError(f"Kind {self.name} needs a DataClass, not {self.data_class!r}.")
        if type(self.priority) is not int:
            raise ConfigError(f"Kind {self.name} priority must be an integer.")


@dataclass(frozen=True)
class Pattern:
    """One way to recognise a kind; see the module docstring for the anchor contract."""

    kind: str
    regex: str
    anchor: str | tuple[str, ...]
    ignore_case: bool = False
    validator: Validator | None = None
    lookback: str = ""

    def __post_init__(self) -> None:
        try:
            compiled = re.compile(self.regex, self.flags)
            for anchor in self.anchors:
                re.compile(anchor, self.flags)
        except re.error as exc:
            raise ConfigError(f"Pattern for {self.kind} is not a valid regex: {exc}.") from None
        if compiled.match("") is not None:
            raise ConfigError(f"Pattern for {self.kind} can match the empty string.")
        if not self.anchors or not all(a and a.isascii() for a in self.anchors):
            raise ConfigError(f"Pattern for {self.kind} needs non-empty ASCII anchors.")
        if not self.regex.isascii():
            raise ConfigError(f"Pattern for {self.kind} needs an ASCII regex.")
        if self.lookback:
            self._check_lookback()

    def _check_lookback(self) -> None:
        run = re.compile(f"[{self.lookback}]", re.ASCII)
        leading = _LEADING_LOOKBEHIND.match(self.regex)
        excluded = re.compile(f"[{leading.group(1)}]", self.flags) if leading else None
        if excluded is None or any(
            run.fullmatch(c) and not excluded.fullmatch(c) for c in map(chr, range(128))
        ):
            raise ConfigError(
                f"Pattern for {self.kind} has lookback [{self.lookback}] but its regex does "
                "not begin with a look-behind excluding those characters."
            )

    @property
    def anchors(self) -> tuple[str, ...]:
        return (self.anchor,) if isinstance(self.anchor, str) else tuple(self.anchor)

    @property
    def flags(self) -> int:
        return re.ASCII | (re.IGNORECASE if self.ignore_case else 0)

    def compile(self) -> re.Pattern[str]:
        return re.compile(self.regex, self.flags)


@dataclass(frozen=True)
class Detector:
    """A named group of kinds with the patterns (or custom finder) that detect them.

    ``patterns`` are fixed; ``configure`` builds patterns that depend on the
    :class:`ScanConfig` (internal ranges, entropy threshold). ``find`` builds a custom
    finder for detectors that are not regex-based.
    """

    name: str
    kinds: tuple[Kind, ...]
    patterns: tuple[Pattern, ...] = ()
    configure: Callable[[ScanConfig], tuple[Pattern, ...]] | None = None
    find: Callable[[ScanConfig], CustomFind] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or _NAME.fullmatch(self.name) is None:
            raise ConfigError(f"Detector name {self.name!r} must be a lower-case identifier.")
        if not self.kinds:
            raise ConfigError(f"Detector {self.name} declares no kinds.")
        if not (self.patterns or self.configure or self.find):
            raise ConfigError(f"Detector {self.name} has no patterns and no finder.")
        names = [k.name for k in self.kinds]
        if len(set(names)) != len(names):
            raise ConfigError(f"Detector {self.name} declares a kind twice.")
        self._check_kinds(self.patterns)

    def patterns_for(self, config: ScanConfig) -> tuple[Pattern, ...]:
        extra = self.configure(config) if self.configure is not None else ()
        self._check_kinds(extra)
        return self.patterns + tuple(extra)

    def _check_kinds(self, patterns: Iterable[Pattern]) -> None:
        declared = {k.name for k in self.kinds}
        for pattern in patterns:
            if pattern.kind not in declared:
                raise ConfigError(
                    f"Detector {self.name} has a pattern for undeclared kind {pattern.kind}."
                )
