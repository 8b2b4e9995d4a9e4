"""The governance configuration's one event: an admin published a new one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from affidavit.errors import VerificationError
from affidavit.ledger.events import Event, Payload

__all__ = ["ConfigurationPublished"]


@dataclass(frozen=True, kw_only=True)
class ConfigurationPublished(Event):
    """A governance configuration came into force; its text is the entry's payload (the
    body names its hash and the hash of the effective action catalog)."""

    type: ClassVar[str] = "configuration.published"
    needs_payload_data: ClassVar[bool] = True

    config_hash: str
    catalog_hash: str
    text: str

    def body(self) -> dict[str, Any]:
        return {"config_hash": self.config_hash, "catalog_hash": self.catalog_hash}

    def payloads(self) -> tuple[bytes, ...]:
        return (self.text.encode(),)

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        if not payloads or payloads[0].data is None:
            raise VerificationError(
                f"the text of configuration {body['config_hash'][:12]} was erased or not "
                "loaded; the governance state cannot be rebuilt without it"
            )
        return {
            "config_hash": body["config_hash"],
            "catalog_hash": body["catalog_hash"],
            "text": payloads[0].data.decode(),
        }
