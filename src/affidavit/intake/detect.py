"""Pick the normaliser for an alert and normalise it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from affidavit.errors import InputError
from affidavit.intake._tracking import FieldReads
from affidavit.intake.model import Alert
from affidavit.intake.reader import DEFAULT_LIMITS, ReaderLimits, located_alerts
from affidavit.intake.registry import Normalizer, default_normalizers

__all__ = ["detect_vendor", "normalize", "normalized_alerts"]

_KEYS_SHOWN = 15


def _keys_seen(obj: Mapping[Any, Any]) -> str:
    keys = sorted(repr(str(key)[:40]) for key in obj)
    if not keys:
        return "none (the object is empty)"
    shown = ", ".join(keys[:_KEYS_SHOWN])
    more = len(keys) - _KEYS_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def detect_vendor(
    obj: Mapping[str, Any], normalizers: Sequence[Normalizer] | None = None
) -> Normalizer:
    """The one normaliser whose ``detect`` accepts ``obj``.

    ``normalizers`` defaults to the built-ins plus installed plugins. Raises
    ``InputError`` when none or more than one claims the object.
    """
    if not isinstance(obj, Mapping):
        raise InputError(f"an alert must be a JSON object, not {type(obj).__name__}.")
    candidates = default_normalizers() if normalizers is None else normalizers
    matches = [normalizer for normalizer in candidates if normalizer.detect(obj)]
    if not matches:
        raise InputError(f"unrecognised alert format; keys seen: {_keys_seen(obj)}.")
    if len(matches) > 1:
        names = ", ".join(sorted(normalizer.name for normalizer in matches))
        raise InputError(
            f"ambiguous alert format: it looks like each of {names}; keys seen: {_keys_seen(obj)}."
        )
    return matches[0]


def normalize(obj: Mapping[str, Any], normalizers: Sequence[Normalizer] | None = None) -> Alert:
    """Detect the vendor format of ``obj`` and return it as an ``Alert``.

    The normaliser reads a tracked view of ``obj``; the fields it never read are
    returned in ``Alert.unmapped``, whichever plugin it is.
    """
    normalizer = detect_vendor(obj, normalizers)
    reads = FieldReads(obj)
    alert = normalizer.normalize(reads.root)
    if not isinstance(alert, Alert):
        raise InputError(f"normaliser {normalizer.name!r} did not return an Alert.")
    return dataclasses.replace(alert, unmapped=reads.unread())


def normalized_alerts(
    data: bytes,
    *,
    limits: ReaderLimits = DEFAULT_LIMITS,
    normalizers: Sequence[Normalizer] | None = None,
) -> Iterator[tuple[str, Alert]]:
    """Read ``data`` and normalise each alert in it, with where it was found.

    A record that cannot be normalised raises ``InputError`` naming its line or
    array item (``item 3 (line 40): unrecognised alert format; ...``).
    """
    for where, obj in located_alerts(data, limits=limits):
        try:
            alert = normalize(obj, normalizers)
        except InputError as exc:
            raise InputError(f"{where}: {exc.message}") from None
        yield where, alert
