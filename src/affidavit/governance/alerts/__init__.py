"""Alerts: vendor formats read, detected and normalised into one ``Alert`` model.

    for obj in read_alerts(path.read_bytes()):
        alert = normalize(obj)          # vendor format detected by the plugins

``generate_alerts`` makes deterministic sample alerts in the vendors' own formats
for the demo and tests.
"""

from __future__ import annotations

from affidavit.governance.alerts.detect import detect_vendor, normalize
from affidavit.governance.alerts.model import Alert, Entity, EntityKind, Severity
from affidavit.governance.alerts.reader import (
    DEFAULT_LIMITS,
    ReaderLimits,
    located_alerts,
    read_alerts,
)
from affidavit.governance.alerts.registry import (
    BUILTIN_NORMALIZERS,
    ENTRY_POINT_GROUP,
    Normalizer,
    default_normalizers,
    load_normalizers,
)
from affidavit.governance.alerts.samples import generate_alerts

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
    "generate_alerts",
    "load_normalizers",
    "located_alerts",
    "normalize",
    "read_alerts",
]
