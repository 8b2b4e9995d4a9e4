"""Alert intake: vendor alerts in, one ledger entry per alert out.

Each alert is normalised (vendor format auto-detected), its raw JSON kept as
an evidence payload referenced by SHA-256, and a summary recorded as an
``alert.ingested`` entry in its case. An alert already recorded (the same raw
JSON) is reported as a duplicate of its entry, not recorded twice, however many
intakes race. A file is recorded whole or not at all: every alert is
normalised first, and all are recorded in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from affidavit.errors import InputError
from affidavit.governance import _tables as t
from affidavit.governance.cases import ensure_case
from affidavit.governance.events import AlertIngested
from affidavit.governance.minimise import Minimiser
from affidavit.intake import Alert, normalize
from affidavit.ledger.batch import Batch

__all__ = ["IngestResult", "PreparedAlert", "prepare", "record"]

_SUMMARY_FIELDS = (
    "vendor",
    "product",
    "vendor_alert_id",
    "title",
    "severity",
    "severity_raw",
    "created",
    "category",
    "techniques",
    "entities",
)


@dataclass(frozen=True)
class IngestResult:
    seq: int | None
    """Ledger sequence number, or None for a duplicate."""
    case: str
    vendor: str
    title: str
    severity: str
    raw_sha256: str
    duplicate_of: int | None = None


def default_case_id(raw_sha256: str) -> str:
    """An alert ingested without a case opens its own."""
    return f"AL-{raw_sha256[:12]}"


def _raw_bytes(obj: Mapping[str, Any]) -> bytes:
    """The raw alert as evidence bytes: sorted keys, so the same alert dedupes.

    Not RFC 8785: vendor alerts carry integers beyond I-JSON's range (Falco's
    nanosecond ``evt.time``), and the payload is opaque evidence, only hashed.
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class PreparedAlert:
    """One alert normalised and minimised in the caller's thread, ready to record."""

    alert: Alert
    event: AlertIngested


def prepare(
    objects: Iterable[Mapping[str, Any]], *, case: str | None, actor: str, minimiser: Minimiser
) -> list[PreparedAlert]:
    """Normalise and minimise every object first: one bad alert refuses them all."""
    prepared = []
    for obj in objects:
        alert = normalize(obj)
        raw = _raw_bytes(obj)
        digest = hashlib.sha256(raw).hexdigest()
        full = alert.to_dict()
        summary: dict[str, Any] = {k: full[k] for k in _SUMMARY_FIELDS}
        body = minimiser.alert_summary(summary, raw.decode("utf-8", "replace"))
        event = AlertIngested(
            actor=actor,
            case=case or default_case_id(digest),
            alert=body["alert"],
            data_classes=tuple(body["data_classes"]),
            raw_sha256=digest,
            raw=raw,
        )
        prepared.append(PreparedAlert(alert, event))
    return prepared


def record(batch: Batch, prepared: Sequence[PreparedAlert]) -> list[IngestResult]:
    """The command: record each alert not already in the ledger, its case opened first.

    The duplicate check runs here, inside the write transaction (which excludes every
    other writer, in this process or another), against the alerts already recorded;
    the ``alerts`` table's key on the raw SHA-256 makes a second entry impossible even
    so. Everything is recorded in this one transaction, or (on any error) nothing.
    """
    a = t.alerts
    digests = list(dict.fromkeys(p.event.raw_sha256 for p in prepared))
    rows = batch.conn.execute(select(a.c.raw_sha256, a.c.seq).where(a.c.raw_sha256.in_(digests)))
    seen = {ref: int(seq) for ref, seq in rows}
    results = []
    for index, p in enumerate(prepared):
        e = p.event
        assert e.case is not None
        vendor, title, severity = p.alert.vendor, p.alert.title, p.alert.severity.value
        duplicate = seen.get(e.raw_sha256)
        if duplicate is not None:
            results.append(
                IngestResult(None, e.case, vendor, title, severity, e.raw_sha256, duplicate)
            )
            continue
        ensure_case(batch, e.case, e.actor)
        try:
            seq = batch.emit(e).seq
        except InputError as exc:
            raise InputError(f"alert {index}: {exc.message}; no alert was recorded") from None
        seen[e.raw_sha256] = seq  # the same alert twice in one file is one alert
        results.append(IngestResult(seq, e.case, vendor, title, severity, e.raw_sha256))
    return results
