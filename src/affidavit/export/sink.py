"""What the exporter hands a sink, and how a sink says it could not take it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from affidavit.ledger.entry import StoredEntry

__all__ = ["DeliveryError", "Sink"]


class DeliveryError(Exception):
    """The sink did not acknowledge the batch; ``message`` is safe to show and store."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_s = retry_after_s


class Sink(Protocol):
    """A destination for ledger entries of the ``types`` it exports."""

    name: str
    types: frozenset[str]

    def deliver(self, entries: Sequence[StoredEntry]) -> int:
        """Send the entries (already filtered by type); return how many events went out.

        Returns only once the destination acknowledged them (as far as its
        protocol can); raises DeliveryError otherwise, and then nothing of the
        batch counts as delivered.
        """
        ...

    def close(self) -> None: ...
