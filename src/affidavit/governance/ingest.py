"""Alert intake: vendor alerts in, one ledger entry per alert out.

Each alert is normalised (vendor format auto-detected), its raw JSON kept as
an evidence payload referenced by SHA-256, and a summary recorded as an
``alert.ingested`` entry in its case. An alert whose raw bytes are already in
the ledger is reported as a duplicate, not recorded twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from affidavit.governance._common import iso
from affidavit.governance.cases import ensure_case
from affidavit.governance.minimise import Minimiser
from affidavit.intake import Alert, normalize, read_alerts
from affidavit.ledger.batch import Appended, Batch
from affidavit.ledger.entry import Entry
from affidavit.ledger.log import Ledger
from affidavit.store.schema import ledger_payloads

__all__ = ["IngestResult", "alert_entry", "ingest_alerts", "ingest_objects"]

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


def alert_entry(
    alert: Alert, raw: bytes, *, case: str, actor: str, minimiser: Minimiser, now: datetime
) -> Entry:
    """The ledger entry of one alert: a minimised summary; the raw alert sealed as evidence."""
    full = alert.to_dict()
    summary: dict[str, Any] = {k: full[k] for k in _SUMMARY_FIELDS}
    body = minimiser.alert_summary(summary, raw.decode("utf-8", "replace"))
    return Entry(
        type="alert.ingested", actor=actor, case=case, body=body, payloads=(raw,), time=iso(now)
    )


def _already_ingested(ledger: Ledger, digests: list[str]) -> dict[str, int]:
    if not digests:
        return {}
    t = ledger_payloads
    with ledger.db.read() as conn:
        rows = conn.execute(select(t.c.sha256, t.c.seq).where(t.c.sha256.in_(digests)))
        return {ref: int(seq) for ref, seq in rows}


def ingest_objects(
    ledger: Ledger,
    objects: Iterable[Mapping[str, Any]],
    *,
    case: str | None,
    actor: str,
    minimiser: Minimiser,
    now: datetime,
) -> list[IngestResult]:
    """Normalise every object first (all or nothing), then append them in one batch."""
    prepared: list[tuple[Alert, bytes, str]] = []
    for obj in objects:
        alert = normalize(obj)
        raw = _raw_bytes(obj)
        prepared.append((alert, raw, hashlib.sha256(raw).hexdigest()))
    seen = _already_ingested(ledger, [d for _, _, d in prepared])
    results: list[IngestResult] = []
    entries: list[Entry] = []
    slots: list[int] = []
    for alert, raw, digest in prepared:
        case_id = case or default_case_id(digest)
        duplicate = seen.get(digest)
        result = IngestResult(
            None, case_id, alert.vendor, alert.title, alert.severity.value, digest, duplicate
        )
        if duplicate is None:
            seen[digest] = -1  # the same alert twice in one file is one alert
            entries.append(
                alert_entry(alert, raw, case=case_id, actor=actor, minimiser=minimiser, now=now)
            )
            slots.append(len(results))
        results.append(result)

    def command(batch: Batch) -> list[Appended]:
        # One transaction: each alert's case opens (if new) just before its entry.
        appended = []
        for entry in entries:
            assert entry.case is not None
            ensure_case(batch, entry.case, actor, now)
            appended.append(batch.append(entry))
        return appended

    for slot, appended in zip(
        slots, ledger.execute(command, now=now) if entries else [], strict=True
    ):
        r = results[slot]
        results[slot] = IngestResult(
            appended.seq, r.case, r.vendor, r.title, r.severity, r.raw_sha256
        )
    return results


def ingest_alerts(
    ledger: Ledger,
    data: bytes,
    *,
    case: str | None,
    actor: str,
    minimiser: Minimiser,
    now: datetime,
) -> list[IngestResult]:
    """Read JSON, a JSON array or JSON lines and ingest every alert in it."""
    return ingest_objects(
        ledger, list(read_alerts(data)), case=case, actor=actor, minimiser=minimiser, now=now
    )
