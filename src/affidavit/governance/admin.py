"""The Governor's local administration: identities and their tokens, assets, policy
bundles, and rebuilding the state from the ledger.

Mixed into :class:`affidavit.governance.governor.Governor`. Each names its operator
(governance.operators): the admin whose ``token`` is given, else the local
operating-system account (``local:USER@HOST``): whoever can run them without a
token holds the database and its keys already, and the OS names them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from affidavit.config import Settings
from affidavit.errors import InputError
from affidavit.governance import assets, identities, operators
from affidavit.governance._common import Clock
from affidavit.governance.configuration import Configuration
from affidavit.governance.identities import Identity
from affidavit.governance.incidents import list_incidents
from affidavit.governance.policies import PolicyStore
from affidavit.governance.rebuild import RebuildReport, rebuild_in_place
from affidavit.ledger.batch import Batch
from affidavit.ledger.log import Ledger
from affidavit.policy import Asset, Catalog, PolicyBundle, load_assets, run_policy_tests
from affidavit.policy.testing import CaseResult

__all__ = ["AdminCommands"]

T = TypeVar("T")


class AdminCommands:
    ledger: Ledger
    settings: Settings
    clock: Clock
    policies: PolicyStore
    token_key: bytes
    local_operator: str = operators.local_operator()
    """Who acts when no admin token is given; a test or a reproducible run may pin it."""

    if TYPE_CHECKING:  # the Governor's

        @property
        def catalog(self) -> Catalog: ...  # the published configuration's

        def _write(self, command: Callable[[Batch], T], *, now: datetime) -> T: ...

        def configuration(self) -> Configuration: ...

    def rebuild_state(self) -> RebuildReport:
        """Rebuild every state table from the ledger, in place (``affidavit db rebuild``).

        The ledger is verified first (a rebuild trusts only a ledger that verifies) and
        again afterwards; the report says which tables held rows that differed.
        """
        self.ledger.verify()
        report = rebuild_in_place(self.ledger)
        self.policies.forget_active()
        self.ledger.verify()
        return report

    def operator(self, token: str | None, now: datetime) -> str:
        """The actor of an administrative act (see governance.operators)."""
        with self.ledger.db.read() as conn:
            return operators.resolve(
                conn, token, now=now, key=self.token_key, local=self.local_operator
            )

    def _administer(self, token: str | None, act: Callable[[Batch, str, datetime], T]) -> T:
        """Run ``act(batch, actor, now)`` as one write, its operator re-checked inside it."""
        now = self.clock()
        actor = self.operator(token, now)

        def command(batch: Batch) -> T:
            operators.recheck(batch.conn, actor, now)
            return act(batch, actor, now)

        return self._write(command, now=now)

    def add_identity(self, identity: Identity, *, token: str | None = None) -> tuple[Identity, str]:
        new = identities.new_token()
        ttl = self.configuration().token_ttl_days * 86400
        self._administer(
            token,
            lambda b, actor, now: identities.create(
                b, identity, new, ttl, now, self.token_key, actor=actor
            ),
        )
        return identity, new

    def set_identity_status(
        self, identity_id: str, status: str, *, token: str | None = None
    ) -> Identity:
        if status not in ("active", "suspended", "retired"):
            raise InputError("status must be active, suspended or retired")
        return self._administer(
            token,
            lambda b, actor, now: identities.set_status(b, identity_id, status, now, actor=actor),
        )

    def rotate_token(self, identity_id: str, *, token: str | None = None) -> tuple[str, str]:
        new = identities.new_token()
        ttl = self.configuration().token_ttl_days * 86400
        expires = self._administer(
            token,
            lambda b, actor, now: identities.rotate(
                b, identity_id, new, ttl, now, self.token_key, actor=actor
            ),
        )
        return new, expires

    def transfer_identity(
        self, identity_id: str, owner: str, *, token: str | None = None
    ) -> Identity:
        """Give an agent, model or integration a new accountable owner (ledgered)."""
        return self._administer(
            token,
            lambda b, actor, now: identities.transfer(b, identity_id, owner, now, actor=actor),
        )

    def incidents(self, case: str | None = None) -> list[dict[str, Any]]:
        """Incidents opened by the ledger (a rejected break-glass review), oldest first."""
        with self.ledger.db.read() as conn:
            return list_incidents(conn, case)

    def identities(self) -> list[Identity]:
        with self.ledger.db.read() as conn:
            return identities.list_all(conn)

    def import_assets(self, path: Path, *, token: str | None = None) -> int:
        return self.import_inventory(load_assets(path), source=str(path), token=token)

    def import_inventory(
        self, loaded: Sequence[Asset], *, source: str, token: str | None = None
    ) -> int:
        """Insert or replace assets; ``source`` names where they came from in the ledger."""
        canonical = [asset.canonical() for asset in loaded]  # the ids targets resolve to
        return self._administer(
            token, lambda b, actor, now: assets.import_assets(b, canonical, source, actor=actor)
        )

    def publish_policy(self, text: str, *, token: str | None = None) -> str:
        bundle = PolicyBundle.publish(text, self.catalog)
        published = self._administer(
            token, lambda b, actor, now: self.policies.publish(b, bundle, actor)
        )
        self.policies.forget_active()  # this process decides under its own publish at once
        return published

    def active_policy(self) -> tuple[str, str]:
        with self.ledger.db.read() as conn:
            engine = self.policies.engine(conn)
        return engine.bundle.hash, engine.bundle.text

    def test_policy(self, cases_path: Path, bundle_text: str | None = None) -> list[CaseResult]:
        from affidavit.policy import PolicyEngine

        if bundle_text is not None:
            engine = PolicyEngine(PolicyBundle.publish(bundle_text, self.catalog))
        else:
            with self.ledger.db.read() as conn:
                engine = self.policies.engine(conn)
        return run_policy_tests(engine, cases_path)
