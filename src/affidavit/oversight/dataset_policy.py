"""Training data policy: which data classes may enter a training data set, and how.

A YAML file::

    purposes: [tuning, evaluation]      # what data sets under this policy may be used for
    classes:                            # data class -> keep | remove | tokenize | exclude_case
      secret: remove
      credential: remove
      financial: remove
      pii: tokenize
      internal_identifier: keep
    default: remove                     # classes not listed (default: remove)

``remove`` replaces each value with its typed placeholder (``[SECRET:aws_access_key_id]``),
``tokenize`` with its keyed token, ``keep`` leaves it, and ``exclude_case`` leaves the
whole case out of the data set. Values are found by :mod:`affidavit.protect`'s scanner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from affidavit import canonical
from affidavit.errors import InputError
from affidavit.protect import DataClass, Treatment

__all__ = ["TREATMENTS", "TrainingPolicy"]

TREATMENTS = MappingProxyType(
    {
        "keep": Treatment.ALLOW,
        "remove": Treatment.MASK,
        "tokenize": Treatment.TOKENIZE,
        "exclude_case": Treatment.BLOCK,
    }
)
_PURPOSE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_CLASSES = {c.value for c in DataClass}


@dataclass(frozen=True)
class TrainingPolicy:
    purposes: tuple[str, ...]
    classes: MappingProxyType[str, str]
    default: str = "remove"

    def __post_init__(self) -> None:
        if not self.purposes or not all(
            isinstance(p, str) and _PURPOSE.fullmatch(p) for p in self.purposes
        ):
            raise InputError("a training policy lists its purposes: short lower-case names")
        for name, treatment in [*self.classes.items(), ("default", self.default)]:
            if name != "default" and name not in _CLASSES:
                raise InputError(f"training policy: data classes are {', '.join(sorted(_CLASSES))}")
            if treatment not in TREATMENTS:
                raise InputError(f"training policy: treatments are {', '.join(TREATMENTS)}")

    @classmethod
    def load(cls, path: Path) -> TrainingPolicy:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
            raise InputError(f"cannot read training policy {path.name}: not a YAML file") from None
        if not isinstance(data, dict) or set(data) - {"purposes", "classes", "default"}:
            raise InputError("a training policy is a mapping of purposes, classes and default")
        purposes, classes = data.get("purposes"), data.get("classes", {})
        if not isinstance(purposes, list) or not isinstance(classes, dict):
            raise InputError("training policy: purposes is a list, classes a mapping")
        return cls(
            tuple(purposes),
            MappingProxyType({str(k): v for k, v in classes.items()}),
            data.get("default", "remove"),
        )

    def treatment(self, data_class: DataClass, kind: str) -> Treatment:
        return TREATMENTS[self.classes.get(data_class.value, self.default)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "purposes": sorted(self.purposes),
            "classes": dict(sorted(self.classes.items())),
            "default": self.default,
        }

    @property
    def sha256(self) -> str:
        """The policy's identity: SHA-256 of its canonical JSON form."""
        return canonical.sha256_hex(self.to_dict())
