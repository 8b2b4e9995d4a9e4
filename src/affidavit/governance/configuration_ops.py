"""The Governor's governance configuration: the one in force, publishing, history.

Mixed into :class:`affidavit.governance.governor.Governor`. Everything that decides
what is allowed reads :meth:`ConfigurationCommands.configuration`, which comes from
the ledger's image only (never the environment).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from affidavit.governance._common import Clock
from affidavit.governance.configuration import Configuration
from affidavit.governance.configuration_store import ConfigurationStore
from affidavit.governance.policies import PolicyStore
from affidavit.ledger.batch import Batch
from affidavit.ledger.log import Ledger
from affidavit.policy import Catalog

__all__ = ["ConfigurationCommands"]

T = TypeVar("T")


class ConfigurationCommands:
    ledger: Ledger
    clock: Clock
    configurations: ConfigurationStore
    policies: PolicyStore

    if TYPE_CHECKING:  # the Governor's

        def _write(self, command: Callable[[Batch], T], *, now: datetime) -> T: ...

        def _administer(self, token: str | None, act: Callable[[Batch, str, datetime], T]) -> T: ...

    def configuration(self) -> Configuration:
        """The validated configuration in force (the built-in one until one is published)."""
        return self.configurations.current(self.ledger.db)

    @property
    def catalog(self) -> Catalog:
        """The action catalog of the configuration in force."""
        return self.configuration().catalog

    def publish_configuration(self, text: str, *, token: str | None = None) -> str:
        """Validate ``text`` and put it in force; only an admin may: the admin whose
        ``token`` is given, else the local operator (governance.operators)."""
        config = Configuration.parse(text)
        published = self._administer(
            token, lambda b, actor, now: self.configurations.publish(b, config, actor, now)
        )
        self.configurations.forget_active()  # this process decides under it at once
        self.policies.forget_active()
        return published

    def configuration_history(self) -> list[dict[str, Any]]:
        with self.ledger.db.read() as conn:
            return self.configurations.history(conn)

    def configuration_by_hash(self, digest: str) -> Configuration:
        """A configuration published in this ledger (or the built-in one), by its hash."""
        with self.ledger.db.read() as conn:
            return self.configurations.by_hash(conn, digest)
