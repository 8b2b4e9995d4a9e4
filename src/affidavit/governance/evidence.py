"""The Governor's evidence side: alert intake, erasure and retention.

Mixed into :class:`affidavit.governance.governor.Governor`, so the CLI, the API
and the demo reach these through the Governor, on its clock, and never touch
the ledger underneath.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from affidavit.errors import InputError
from affidavit.governance import ingest, retention
from affidavit.governance._common import Clock, check_case_id, check_text
from affidavit.governance.minimise import Minimiser
from affidavit.intake import read_alerts
from affidavit.ledger.batch import Batch
from affidavit.ledger.log import Erasure, Ledger
from affidavit.policy import Catalog

if TYPE_CHECKING:
    from affidavit.governance.configuration import Configuration

__all__ = ["EvidenceCommands"]

T = TypeVar("T")
_SHA256_HEX = frozenset("0123456789abcdef")


class EvidenceCommands:
    ledger: Ledger
    clock: Clock
    minimiser: Minimiser

    if TYPE_CHECKING:  # the Governor's

        @property
        def catalog(self) -> Catalog: ...  # the published configuration's

        def _write(self, command: Callable[[Batch], T], *, now: datetime) -> T: ...

        def configuration(self) -> Configuration: ...

    def ingest_alerts(
        self, data: bytes, *, case: str | None = None, actor: str = "system:intake"
    ) -> list[ingest.IngestResult]:
        """Ingest every alert in JSON, a JSON array or JSON lines (see governance.ingest)."""
        return self.ingest_objects(read_alerts(data), case=case, actor=actor)

    def ingest_objects(
        self,
        objects: Iterable[Mapping[str, Any]],
        *,
        case: str | None = None,
        actor: str = "system:intake",
    ) -> list[ingest.IngestResult]:
        """Ingest alerts already parsed from JSON: all of them, or (on any error) none."""
        if case is not None:
            check_case_id(case)
        prepared = ingest.prepare(objects, case=case, actor=actor, minimiser=self.minimiser)
        if not prepared:
            return []
        return self._write(lambda b: ingest.record(b, prepared), now=self.clock())

    def erase_payloads(self, sha256_refs: Sequence[str], *, actor: str, reason: str) -> Erasure:
        """Crypto-shred payloads by SHA-256 on request; the erasure is ledgered."""
        for ref in sha256_refs:
            if not isinstance(ref, str) or len(ref) != 64 or not set(ref) <= _SHA256_HEX:
                raise InputError("a payload reference is a lowercase SHA-256 hex digest")
        reason = check_text(reason, "a reason", required=True)
        return self.ledger.erase(
            sha256_refs, actor=actor, rule="request", reason=reason, now=self.clock()
        )

    def erase_case(self, case: str, *, actor: str, reason: str) -> int:
        """Crypto-shred every live payload of a case (a data-subject or legal request)."""
        reason = check_text(reason, "a reason", required=True)
        return retention.erase_case(self.ledger, case, actor=actor, reason=reason, now=self.clock())

    def sweep_retention(
        self, policy: retention.RetentionPolicy | None = None, *, dry_run: bool
    ) -> list[retention.SweepResult]:
        """Erase what retention by impact no longer allows, as of the Governor's clock.

        The periods are the published configuration's; ``policy`` may only keep
        payloads longer (a caller cannot shorten what the configuration keeps)."""
        config = self.configuration()
        policy = retention.at_least(config.retention, policy)
        return retention.sweep(self.ledger, config.catalog, policy, self.clock(), dry_run=dry_run)
