"""Alerts: vendor formats read, detected and normalised into one ``Alert`` model.

    for where, alert in normalized_alerts(path.read_bytes()):
        ...                 # vendor format detected by the plugins; ``where`` names
                            # the line or array item, ``alert.unmapped`` the fields
                            # the normaliser did not read

Deterministic sample alerts for the demo and tests live in
:mod:`affidavit.samples.alerts`, outside the runtime packages.
"""

from __future__ import annotations

from affidavit.intake.detect import detect_vendor, normalize, normalized_alerts
from affidavit.intake.model import Alert, Entity, EntityKind, Severity
from affidavit.intake.reader import (
    DEFAULT_LIMITS,
    ReaderLimits,
    located_alerts,
    read_alerts,
)
from affidavit.intake.registry import (
    BUILTIN_NORMALIZERS,
    ENTRY_POINT_GROUP,
    Normalizer,
    default_normalizers,
    load_normalizers,
)

__all__ = [
    "BUILTIN_NORMALIZERS",
    "DEFAULT_LIMITS",
    "ENTRY_POINT_GROUP",
    "Alert",
    "Entity",
    "EntityKind",
    "Normalizer",
    "ReaderLimits",
    "Severity",
    "default_normalizers",
    "detect_vendor",
    "load_normalizers",
    "located_alerts",
    "normalize",
    "normalized_alerts",
    "read_alerts",
]
