"""Oversight's own ledger events, registered like a plugin's (entry-point group
``affidavit.events``): they are ledgered and verified, and write no governance state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from affidavit.errors import VerificationError
from affidavit.ledger.events import Event, Payload

__all__ = ["EVENTS", "DatasetExported"]

_COUNTS = ("records", "entries", "payloads", "excluded_cases", "excluded_payloads")


@dataclass(frozen=True, kw_only=True)
class DatasetExported(Event):
    """A training data set written from the ledger: its header, counts and file hash;
    the manifest (what went in, what was left out and why) rides as the payload."""

    type: ClassVar[str] = "dataset.exported"

    format: str
    dataset: str
    purpose: str
    window: Mapping[str, Any]
    policy_sha256: str
    counts: Mapping[str, int]
    """records, entries, payloads, excluded_cases and excluded_payloads."""
    file_name: str
    file_sha256: str
    exported_at: str
    manifest: bytes = b""

    def body(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "dataset": self.dataset,
            "purpose": self.purpose,
            "window": dict(self.window),
            "policy_sha256": self.policy_sha256,
            **{name: self.counts[name] for name in _COUNTS},
            "file_name": self.file_name,
            "file_sha256": self.file_sha256,
            "exported_at": self.exported_at,
        }

    def payloads(self) -> tuple[bytes, ...]:
        return (self.manifest,)

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        if len(payloads) != 1:
            raise VerificationError("a dataset.exported entry carries exactly one manifest")
        return {
            "format": body["format"],
            "dataset": body["dataset"],
            "purpose": body["purpose"],
            "window": body["window"],
            "policy_sha256": body["policy_sha256"],
            "counts": {name: int(body[name]) for name in _COUNTS},
            "file_name": body["file_name"],
            "file_sha256": body["file_sha256"],
            "exported_at": body["exported_at"],
            "manifest": payloads[0].data or b"",
        }


EVENTS: tuple[type[Event], ...] = (DatasetExported,)
"""Oversight's event types (registered through the entry-point group)."""
