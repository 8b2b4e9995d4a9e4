"""Masking before anything leaves: every string of an outgoing event is scanned.

Ledger entries hold digests of evidence, not the evidence, but some of their
fields are free text written by agents and people (a rationale, a parameter,
a connector's error). A secret pasted there must not travel on to a SIEM, so
each string is scanned with the data-protection detectors and every finding of
a masked data class is replaced by its typed placeholder
(``[SECRET:aws_access_key_id]``), as it would be for a model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from affidavit.protect import DataClass, Finding, Scanner, Treatment, apply, default_scanner

__all__ = ["Redactor"]


class Redactor:
    """Masks the ``classes`` in strings, keys included; structure and other values are kept."""

    def __init__(self, classes: Iterable[DataClass], scanner: Scanner | None = None) -> None:
        self._classes = frozenset(classes)
        self._scanner = scanner if scanner is not None else default_scanner()
        self._limit = self._scanner.config.max_input_chars
        self.masked = 0
        """How many values were masked so far (reported by ``export status``)."""

    def _decide(self, data_class: DataClass, kind: str) -> Treatment:
        return Treatment.MASK if data_class in self._classes else Treatment.ALLOW

    def text(self, value: str) -> str:
        if not self._classes or not value:
            return value
        if len(value) > self._limit:
            value = value[: self._limit]
        findings: list[Finding] = [
            f for f in self._scanner.scan(value) if f.data_class in self._classes
        ]
        if not findings:
            return value
        self.masked += len(findings)
        return apply(value, findings, self._decide).text

    def json(self, value: Any) -> Any:
        """``value`` with every string masked; returned as is when nothing is to be masked."""
        if not self._classes:
            return value
        strings: list[str] = []
        _strings(value, strings)
        # One scan over all strings, kept apart by a separator no detector matches across,
        # instead of one scanner call per string (an event has about a hundred).
        joined = _SEPARATOR.join(strings)
        if len(joined) <= self._limit and not any(
            f.data_class in self._classes for f in self._scanner.scan(joined)
        ):
            return value
        return self._walk(value)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self._walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._walk(v) for v in value]
        return value


_SEPARATOR = "\n\x00\n"


def _strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            out.append(str(key))
            _strings(item, out)
    elif isinstance(value, list | tuple):
        for item in value:
            _strings(item, out)
