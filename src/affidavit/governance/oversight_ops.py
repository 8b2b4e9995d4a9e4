"""Governor operations for the oversight workers: training data sets and the notifier.

Mixed into :class:`affidavit.governance.governor.Governor`, so the CLI calls Governor
methods and never reaches into the ledger behind it; both run on the Governor's clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from affidavit.clock import Clock
from affidavit.governance.identities import Identity
from affidavit.governance.minimise import Minimiser
from affidavit.ledger.log import Ledger

if TYPE_CHECKING:
    from affidavit.notify.config import NotifyConfig
    from affidavit.notify.state import NotifyState
    from affidavit.notify.worker import Notifier
    from affidavit.oversight.dataset import ExportResult
    from affidavit.oversight.dataset_policy import TrainingPolicy
    from affidavit.oversight.window import Window

__all__ = ["OversightOps"]


class OversightOps:
    ledger: Ledger
    clock: Clock
    minimiser: Minimiser

    if TYPE_CHECKING:  # the Governor's

        def authenticate(self, token: str | None) -> Identity: ...

    def export_dataset(
        self,
        token: str | None,
        *,
        purpose: str,
        window: Window,
        policy: TrainingPolicy,
        output: Path,
    ) -> ExportResult:
        """Write a training data set under ``policy`` and ledger its manifest (the
        ``dataset_export`` role)."""
        from affidavit.oversight.dataset import export_dataset

        return export_dataset(
            self.ledger,
            self.authenticate(token),
            purpose=purpose,
            window=window,
            policy=policy,
            output=output,
            tokenizer=self.minimiser.tokenizer,
            now=self.clock(),
        )

    def notifier(self, config: NotifyConfig, state: NotifyState) -> Notifier:
        """The approvers' notifier over this Governor's ledger, on its clock."""
        from affidavit.notify.worker import Notifier

        return Notifier(config, state, self.ledger, self, clock=self.clock)  # type: ignore[arg-type]
