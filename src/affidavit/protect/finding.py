"""What a detector reports: a typed span of sensitive data, never the data itself."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from affidavit.errors import InputError

__all__ = ["DataClass", "Finding"]

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
# Names already checked: scanners build many findings with few distinct names.
_VALID_NAMES: set[str] = set()


class DataClass(StrEnum):
    """The data classes policies decide on (a finding's ``data_class``)."""

    SECRET = "secret"  # noqa: S105 - a data class name, not a password
    CREDENTIAL = "credential"
    PII = "pii"
    FINANCIAL = "financial"
    INTERNAL_IDENTIFIER = "internal_identifier"


@dataclass(frozen=True, slots=True)
class Finding:
    """One sensitive value found in a text, as character offsets ``[start, end)``.

    A finding holds no part of the value, so it can be logged and ledgered as is;
    ``value(text)`` recovers it from the scanned text when a treatment needs it.
    """

    data_class: DataClass
    kind: str
    start: int
    end: int
    detector: str

    def __post_init__(self) -> None:
        if not isinstance(self.data_class, DataClass):
            try:
                object.__setattr__(self, "data_class", DataClass(self.data_class))
            except ValueError:
                raise InputError(
                    f"Finding data class {self.data_class!r} is not one of "
                    f"{', '.join(c.value for c in DataClass)}."
                ) from None
        for label, name in (("kind", self.kind), ("detector", self.detector)):
            if name in _VALID_NAMES:
                continue
            if not isinstance(name, str) or _NAME.fullmatch(name) is None:
                raise InputError(
                    f"Finding {label} {name!r} must be a lower-case identifier "
                    "(letters, digits, underscores)."
                )
            _VALID_NAMES.add(name)
        if (
            type(self.start) is not int
            or type(self.end) is not int
            or not 0 <= self.start < self.end
        ):
            raise InputError(
                f"Finding span [{self.start!r}, {self.end!r}) must be integers "
                "with 0 <= start < end."
            )

    @classmethod
    def _trusted(
        cls, data_class: DataClass, kind: str, start: int, end: int, detector: str
    ) -> Finding:
        """Build without re-checking: for scanners, whose kinds and detector names were
        validated once when declared and whose spans come from the text itself."""
        return cls._trusted_many([(start, end, 0)], [(data_class, kind, detector)])[0]

    @classmethod
    def _trusted_many(
        cls,
        spans: Iterable[tuple[int, int, int]],
        labels: Sequence[tuple[DataClass, str, str]],
    ) -> list[Finding]:
        """:meth:`_trusted` for many spans at once, each ``(start, end, label index)``:
        a scan builds one finding per value found, so this is one loop, setting the slots
        through their descriptors (past the frozen ``__setattr__``)."""
        new = object.__new__
        set_class, set_kind, set_start, set_end, set_detector = _SLOT_SETTERS
        findings: list[Finding] = []
        append = findings.append
        for start, end, label in spans:
            data_class, kind, detector = labels[label]
            finding = new(cls)
            set_class(finding, data_class)
            set_kind(finding, kind)
            set_start(finding, start)
            set_end(finding, end)
            set_detector(finding, detector)
            append(finding)
        return findings

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)

    @property
    def placeholder(self) -> str:
        """The typed mask for this finding, e.g. ``[SECRET:aws_access_key_id]``."""
        return f"[{self.data_class.value.upper()}:{self.kind}]"

    def value(self, text: str) -> str:
        """The sensitive value in ``text`` (the text this finding was scanned from)."""
        if self.end > len(text):
            raise InputError(
                f"Finding span ends at {self.end} but the text has only {len(text)} characters."
            )
        return text[self.start : self.end]


_SLOT_SETTERS = tuple(
    vars(Finding)[name].__set__ for name in ("data_class", "kind", "start", "end", "detector")
)
