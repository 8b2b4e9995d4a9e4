"""Checks of single settings values in export.yaml, shared by the top level and the sinks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from affidavit.errors import ConfigError

__all__ = ["ascii_text", "number", "whole_number"]


def number(
    section: Mapping[str, Any], key: str, default: float, low: float, high: float, where: str
) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(f"{where}: {key} must be a number from {low:g} to {high:g}.")
    return float(value)


def whole_number(
    section: Mapping[str, Any], key: str, default: int, low: int, high: int, where: str
) -> int:
    value = section.get(key, default)
    if type(value) is not int or not low <= value <= high:
        raise ConfigError(f"{where}: {key} must be a whole number from {low} to {high}.")
    return value


def ascii_text(
    section: Mapping[str, Any], key: str, default: str, where: str, *, limit: int = 48
) -> str:
    value = section.get(key, default)
    if not isinstance(value, str) or not re.fullmatch(rf"[!-~]{{1,{limit}}}", value):
        raise ConfigError(
            f"{where}: {key} must be 1-{limit} printable ASCII characters, no spaces."
        )
    return value
