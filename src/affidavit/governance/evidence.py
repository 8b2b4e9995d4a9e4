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
from affidavit.governance import erasures, holds, ingest, retention
from affidavit.governance._common import Clock, IdSource, check_case_id, check_text
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
    ids: IdSource

    if TYPE_CHECKING:  # the Governor's

        @property
        def catalog(self) -> Catalog: ...  # the published configuration's

        def _write(self, command: Callable[[Batch], T], *, now: datetime) -> T: ...

        def _administer(self, token: str | None, act: Callable[[Batch, str, datetime], T]) -> T: ...

        def operator(self, token: str | None, now: datetime) -> str: ...
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

    def _erasure_input(
        self, sha256_refs: Sequence[str], case: str | None, reason: str
    ) -> tuple[list[str], str]:
        for ref in sha256_refs:
            if not isinstance(ref, str) or len(ref) != 64 or not set(ref) <= _SHA256_HEX:
                raise InputError("a payload reference is a lowercase SHA-256 hex digest")
        if bool(sha256_refs) == (case is not None):
            raise InputError("name either payloads (SHA-256) or a case")
        if case is not None:
            check_case_id(case)
        reason = self.minimiser.for_ledger_text(check_text(reason, "a reason", required=True))
        return list(dict.fromkeys(sha256_refs)), reason

    def erase_payloads(
        self, sha256_refs: Sequence[str], *, reason: str, token: str | None = None
    ) -> Erasure:
        """Crypto-shred payloads by SHA-256 on request; the erasure is ledgered with its
        operator. Refused under a legal hold, or when a second admin must approve it."""
        refs, reason = self._erasure_input(sha256_refs, None, reason)
        erasure = self._administer(
            token,
            lambda b, actor, now: erasures.erase(
                b, self.catalog, refs=refs, case=None, actor=actor, reason=reason
            ),
        )
        self.ledger.db.purge_freed_pages()
        return erasure

    def erase_case(self, case: str, *, reason: str, token: str | None = None) -> int:
        """Crypto-shred every live payload of a case (a data-subject or legal request)."""
        _, reason = self._erasure_input((), case, reason)
        erasure = self._administer(
            token,
            lambda b, actor, now: erasures.erase(
                b, self.catalog, refs=(), case=case, actor=actor, reason=reason
            ),
        )
        self.ledger.db.purge_freed_pages()
        return erasure.payloads

    def request_erasure(
        self,
        sha256_refs: Sequence[str] = (),
        *,
        case: str | None = None,
        reason: str,
        token: str | None = None,
    ) -> erasures.ErasureRequest:
        """Ask for an erasure a second admin must approve (evidence of tier >= 3 cases)."""
        refs, reason = self._erasure_input(sha256_refs, case, reason)
        request_id = self.ids("ereq")
        return self._administer(
            token,
            lambda b, actor, now: erasures.request(
                b, request_id=request_id, refs=refs, case=case, actor=actor, reason=reason
            ),
        )

    def approve_erasure(self, request_id: str, *, token: str | None) -> Erasure:
        """A second admin (named by token) approves an erasure request; it is carried out."""
        erasure = self._administer(
            token, lambda b, actor, now: erasures.approve(b, request_id, actor=actor)
        )
        self.ledger.db.purge_freed_pages()
        return erasure

    def erasure_requests(self) -> list[dict[str, object]]:
        """Erasure requests waiting for a second admin."""
        with self.ledger.db.read() as conn:
            return erasures.pending(conn)

    def hold_case(self, case: str, *, reason: str, token: str | None = None) -> None:
        """Place a legal hold: no erasure and no retention sweep of the case until released."""
        reason = self.minimiser.for_ledger_text(check_text(reason, "a reason", required=True))
        self._administer(token, lambda b, actor, now: holds.hold(b, case, reason, actor=actor))

    def release_case(self, case: str, *, reason: str, token: str | None = None) -> None:
        reason = self.minimiser.for_ledger_text(check_text(reason, "a reason", required=True))
        self._administer(token, lambda b, actor, now: holds.release(b, case, reason, actor=actor))

    def case_holds(self) -> list[dict[str, object]]:
        with self.ledger.db.read() as conn:
            return holds.holds(conn)

    def sweep_retention(
        self,
        policy: retention.RetentionPolicy | None = None,
        *,
        dry_run: bool,
        token: str | None = None,
    ) -> list[retention.SweepResult]:
        """Erase what retention by impact no longer allows, as of the Governor's clock;
        cases on legal hold are left alone. The erasures name the operator who swept.

        The periods are the published configuration's; ``policy`` may only keep
        payloads longer (a caller cannot shorten what the configuration keeps)."""
        now = self.clock()
        actor = self.operator(token, now)
        config = self.configuration()
        policy = retention.at_least(config.retention, policy)
        return retention.sweep(
            self.ledger, config.catalog, policy, now, dry_run=dry_run, actor=actor
        )
