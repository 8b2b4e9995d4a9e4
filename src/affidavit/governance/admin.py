"""The Governor's local administration: identities and their tokens, assets, policy
bundles, and rebuilding the state from the ledger.

Mixed into :class:`affidavit.governance.governor.Governor`. These need no token:
whoever can run them holds the database and its keys already.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from affidavit.config import Settings
from affidavit.errors import InputError
from affidavit.governance import assets, identities
from affidavit.governance._common import Clock
from affidavit.governance.configuration import Configuration
from affidavit.governance.identities import Identity
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

    def add_identity(self, identity: Identity) -> tuple[Identity, str]:
        token = identities.new_token()
        now = self.clock()
        ttl = self.configuration().token_ttl_days * 86400
        self._write(
            lambda b: identities.create(b, identity, token, ttl, now, self.token_key), now=now
        )
        return identity, token

    def set_identity_status(self, identity_id: str, status: str) -> Identity:
        if status not in ("active", "suspended", "retired"):
            raise InputError("status must be active, suspended or retired")
        now = self.clock()
        return self._write(lambda b: identities.set_status(b, identity_id, status, now), now=now)

    def rotate_token(self, identity_id: str) -> tuple[str, str]:
        token = identities.new_token()
        now = self.clock()
        ttl = self.configuration().token_ttl_days * 86400
        expires = self._write(
            lambda b: identities.rotate(b, identity_id, token, ttl, now, self.token_key), now=now
        )
        return token, expires

    def identities(self) -> list[Identity]:
        with self.ledger.db.read() as conn:
            return identities.list_all(conn)

    def import_assets(self, path: Path) -> int:
        return self.import_inventory(load_assets(path), source=str(path))

    def import_inventory(self, loaded: Sequence[Asset], *, source: str) -> int:
        """Insert or replace assets; ``source`` names where they came from in the ledger."""
        return self._write(lambda b: assets.import_assets(b, loaded, source), now=self.clock())

    def publish_policy(self, text: str, actor: str = "system:admin") -> str:
        bundle = PolicyBundle.publish(text, self.catalog)
        published = self._write(lambda b: self.policies.publish(b, bundle, actor), now=self.clock())
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
