"""Checks shared by the notify.yaml sections: keys, durations, URLs, secrets from the environment.

Every error names where in notify.yaml the problem is and what is expected,
never the rejected value: a misplaced webhook URL or password must not end up
in a terminal or a log.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import httpx

from affidavit.errors import ConfigError

_DURATION = re.compile(r"([0-9]{1,9})\s*(s|m|h|d)")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_MAX_URL = 2048


def fail(where: str, problem: str) -> ConfigError:
    return ConfigError(f"notify.yaml: {where}: {problem}")


def mapping(value: object, where: str, known: frozenset[str]) -> Mapping[str, Any]:
    """``value`` as a mapping with string keys out of ``known``."""
    if not isinstance(value, Mapping):
        raise fail(where, f"must be a mapping, not {type(value).__name__}")
    unknown = sorted(str(k) for k in value if not isinstance(k, str) or k not in known)
    if unknown:
        raise fail(
            where,
            f"unknown key {', '.join(map(repr, unknown))}; known keys are "
            f"{', '.join(sorted(known))}",
        )
    return value


def text(value: object, where: str, *, max_len: int = 200) -> str:
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise fail(where, f"must be a non-empty string of at most {max_len} characters")
    if not value.isprintable() or value != value.strip():
        raise fail(where, "contains control characters or surrounding spaces")
    return value


def integer(value: object, where: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise fail(where, f"must be a whole number from {low} to {high}")
    return value


def seconds(value: object, where: str, *, low: float, high: float) -> float:
    """A duration: a number of seconds, or text such as ``90s``, ``30m``, ``2h``, ``1d``."""
    if isinstance(value, bool):
        raise fail(where, "must be a duration such as 30m, 2h or a number of seconds")
    if isinstance(value, int | float):
        amount = float(value)
    elif isinstance(value, str) and (match := _DURATION.fullmatch(value.strip())):
        amount = float(int(match.group(1)) * _UNITS[match.group(2)])
    else:
        raise fail(where, "must be a duration such as 30m, 2h or a number of seconds")
    if not low <= amount <= high:
        raise fail(where, f"must be from {low:g} to {high:g} seconds")
    return amount


def http_url(value: object, where: str) -> str:
    if not isinstance(value, str) or not value or len(value) > _MAX_URL:
        raise fail(where, f"must be an http or https URL of at most {_MAX_URL} characters")
    try:
        parsed = httpx.URL(value)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise fail(where, "is not a valid URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise fail(where, "must be an http or https URL with a host name")
    return value


def from_env(
    section: Mapping[str, Any],
    key: str,
    where: str,
    environ: Mapping[str, str] | None,
    *,
    required: bool,
) -> str | None:
    """The value of ``key`` or of the environment variable named by ``key_env``; one, not both."""
    literal, env_key = section.get(key), section.get(f"{key}_env")
    if literal is not None and env_key is not None:
        raise fail(where, f"give {key} or {key}_env, not both")
    if env_key is not None:
        if not isinstance(env_key, str) or not _ENV_NAME.fullmatch(env_key):
            raise fail(f"{where}.{key}_env", "must be the name of an environment variable")
        value = (os.environ if environ is None else environ).get(env_key)
        if not value:
            raise fail(f"{where}.{key}_env", f"environment variable {env_key} is not set")
        return value
    if literal is None:
        if required:
            raise fail(where, f"needs {key} or {key}_env (an environment variable holding it)")
        return None
    if not isinstance(literal, str) or not literal:
        raise fail(f"{where}.{key}", "must be a non-empty string")
    return literal
