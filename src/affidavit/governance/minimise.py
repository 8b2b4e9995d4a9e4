"""Data minimisation where governance writes or hands out text.

Two audiences. A model called by an agent sees what the data policy lets that
agent and model see (:meth:`Minimiser.for_agent`). The ledger and the state
tables, which are kept for years and read by many, see what the *ledger*
principal may see: secrets, credentials and financial values masked, personal
data and internal identifiers tokenized (keyed, deterministic: the same user
correlates across cases without being named). The originals stay in the
encrypted evidence vault.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from affidavit.clock import Clock, system_clock
from affidavit.governance.identities import Identity
from affidavit.protect import (
    DataPolicy,
    DataPrincipal,
    SqlTokenStore,
    Tokenizer,
    Treated,
    protect_json,
    protect_text,
    scan,
)
from affidavit.store import Database
from affidavit.store.vault import Vault

__all__ = ["LEDGER_PRINCIPAL", "Minimiser"]

LEDGER_PRINCIPAL = DataPrincipal(id="ledger", kind="integration", owner="system")
_LEDGER_MODEL = "ledger"
_TOKEN_KEY_LABEL = "affidavit-token-key-v1"  # noqa: S105 - a KDF label, not a secret
# Entity kinds whose whole value is personal, whether or not a detector would say so.
_PERSONAL_ENTITIES = {"user": "username", "email": "email"}


class Minimiser:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        policy: DataPolicy | None = None,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self.policy = policy or DataPolicy.default()
        store = SqlTokenStore(db, vault, clock=clock)
        self.tokenizer = Tokenizer(vault.kek.derive_key(_TOKEN_KEY_LABEL), store)

    def for_agent(self, agent: Identity, model: str, text: str) -> Treated:
        """``text`` as ``agent`` may send it to ``model``; PolicyError when blocked."""
        return protect_text(
            text,
            policy=self.policy,
            principal=DataPrincipal.of(agent),
            model=model,
            tokenizer=self.tokenizer,
        )

    def for_ledger_text(self, text: str) -> str:
        if not text:
            return text
        return protect_text(
            text,
            policy=self.policy,
            principal=LEDGER_PRINCIPAL,
            model=_LEDGER_MODEL,
            tokenizer=self.tokenizer,
        ).text

    def alert_summary(self, summary: Mapping[str, Any], raw_text: str) -> dict[str, Any]:
        """An alert's ledger body: minimised summary plus the classes its raw form holds."""
        value = dict(summary)
        entities = []
        for entity in value.pop("entities", []):
            kind, entity_value = entity["kind"], entity["value"]
            if kind in _PERSONAL_ENTITIES:
                entity_value = self.tokenizer.tokenize(
                    "pii", _PERSONAL_ENTITIES[kind], entity_value
                )
            entities.append({**entity, "value": entity_value})
        treated = protect_json(
            {**value, "entities": entities},
            policy=self.policy,
            principal=LEDGER_PRINCIPAL,
            model=_LEDGER_MODEL,
            tokenizer=self.tokenizer,
        )
        labels = sorted({f.data_class.value for f in scan(raw_text)})
        return {"alert": treated.value, "data_classes": labels}
