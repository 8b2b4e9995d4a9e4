"""Governor operations the service added: the two-phase step, and text-based intake,
asset import and policy tests (the CLI's versions take file paths).

The two-phase step makes the ledger record exactly what a model received:
:meth:`ServiceOps.prepare_step` treats the prompt and inputs for this agent and
model (allow / mask / tokenize / block per the data policy) *before* the call,
ledgers the treated text as payloads in a ``step.prepared`` entry and hands it
back; :meth:`ServiceOps.complete_step` records the output as ``step.recorded``
with the same step id. The caller's original text is sealed (its own AES-256-GCM
data key, wrapped by the vault KEK) beside the prepared step; the ledger holds only
a keyed commitment to it, HMAC-SHA256 under a key derived from the vault KEK, so
nobody without the vault key can confirm a guessed secret against the ledger.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, update

from affidavit import canonical
from affidavit.errors import AuthError, Conflict, InputError, NotFound, PolicyError
from affidavit.governance import _tables as t
from affidavit.governance import cases, steps
from affidavit.governance._common import IdSource, check_case_id, check_text, from_json, json_text
from affidavit.governance._service_tables import prepared_steps
from affidavit.governance.caller_executions import check_report, finish_reported
from affidavit.governance.events import StepPrepared, StepRecorded
from affidavit.governance.identities import Identity
from affidavit.governance.ingest import IngestResult
from affidavit.governance.minimise import Minimiser
from affidavit.governance.policies import PolicyStore
from affidavit.governance.service_queries import ServiceQueries
from affidavit.ledger.batch import Batch
from affidavit.policy import (
    Asset,
    Catalog,
    PolicyBundle,
    PolicyEngine,
    parse_assets,
    run_policy_tests,
)
from affidavit.policy.testing import CaseResult

__all__ = ["COMMITMENT_SCHEME", "PreparedStep", "ServiceOps"]

COMMITMENT_SCHEME = "hmac-sha256/vault-kek-hkdf"
_COMMITMENT_LABEL = "affidavit-step-commitment-v1"
_NONCE = 12
T = TypeVar("T")


@dataclass(frozen=True)
class PreparedStep:
    """What the model may be sent, as the ledger recorded it."""

    id: str
    seq: int
    prompt: str
    inputs: tuple[str, ...]
    data_classes: tuple[str, ...]
    treatments: Mapping[str, Any]


class ServiceOps(ServiceQueries):
    minimiser: Minimiser
    policies: PolicyStore
    ids: IdSource

    if TYPE_CHECKING:  # the Governor's

        @property
        def catalog(self) -> Catalog: ...  # the published configuration's

        def _write(self, command: Callable[[Batch], T], *, now: datetime) -> T: ...

        def ingest_alerts(
            self, data: bytes, *, case: str | None = None, actor: str = "system:intake"
        ) -> list[IngestResult]: ...

        def import_inventory(
            self, loaded: Sequence[Asset], *, source: str, token: str | None = None
        ) -> int: ...

    # -- the two-phase step -----------------------------------------------------

    def prepare_step(
        self,
        token: str | None,
        *,
        case: str,
        model: str,
        model_version: str,
        prompt: str,
        inputs: Sequence[str] = (),
        params: Mapping[str, Any] | None = None,
        parents: Sequence[str] = (),
        data_classes: Sequence[str] = (),
    ) -> PreparedStep:
        agent = self._agent(token)
        check_case_id(case)
        model_version = check_text(model_version, "model version", required=True)
        if len(parents) > steps.MAX_PARENTS:
            raise InputError(f"a step has at most {steps.MAX_PARENTS} parents")
        treated = steps.treat(
            self.minimiser, agent, model, _utf8(prompt), [_utf8(i) for i in inputs], b""
        )
        declared = {check_text(c, "data class", required=True) for c in data_classes}
        original = canonical.encode({"prompt": prompt, "inputs": list(inputs)})
        commitment = hmac.new(
            self.ledger.vault.kek.derive_key(_COMMITMENT_LABEL), original, hashlib.sha256
        ).hexdigest()
        step_id = self.ids("step")
        sealed, wrapped = self._seal_original(step_id, original)
        texts = (treated.prompt.text, *(i.text for i in treated.inputs))
        digests = [hashlib.sha256(x.encode()).hexdigest() for x in texts]
        unique_parents = list(dict.fromkeys(parents))
        record = {"prompt": treated.prompt.record(), "inputs": [i.record() for i in treated.inputs]}
        now = self.clock()

        def command(batch: Batch) -> PreparedStep:
            cases.ensure_case(batch, case, agent.actor)
            own = declared | treated.exposed
            labels, handoff = _labels(batch, agent, case, unique_parents, own)
            appended = batch.emit(
                StepPrepared(
                    actor=agent.actor,
                    case=case,
                    step=step_id,
                    agent=agent.id,
                    owner=agent.owner,
                    model=treated.model,
                    model_version=model_version,
                    params=dict(params or {}),
                    parents=tuple(unique_parents),
                    handoff_from=tuple(handoff),
                    data_classes=tuple(labels),
                    data_policy=self.minimiser.policy.hash,
                    treatments=record,
                    prompt=digests[0],
                    inputs=tuple(digests[1:]),
                    original={"scheme": COMMITMENT_SCHEME, "commitment": commitment},
                    texts=tuple(x.encode() for x in texts),
                )
            )
            # Like the token store, the prepared-step row is not derived from the ledger:
            # it holds the sealed original, which is never ledgered.
            batch.conn.execute(
                prepared_steps.insert(),
                dict(
                    id=step_id,
                    case_id=case,
                    agent_id=agent.id,
                    model=treated.model,
                    model_version=model_version,
                    params=json_text(dict(params or {})),
                    parents=json_text(unique_parents),
                    data_classes=json_text(labels),
                    handoff_from=json_text(handoff),
                    treatments=json_text(record),
                    prompt_sha256=digests[0],
                    inputs_sha256=json_text(digests[1:]),
                    original=sealed,
                    original_key=wrapped,
                    original_kek=self.ledger.vault.kek.key_id,
                    prepared_seq=appended.seq,
                    completed_seq=None,
                ),
            )
            return PreparedStep(
                step_id, appended.seq, texts[0], tuple(texts[1:]), tuple(labels), record
            )

        return self._write(command, now=now)

    def complete_step(
        self,
        token: str | None,
        step_id: str,
        *,
        output: str,
        execution: Mapping[str, Any] | None = None,
    ) -> steps.StepRecord:
        """Record the model's output of a prepared step (treated before it is stored).

        ``execution`` (``id``, ``status``, optional ``detail``): the output is what the
        agent's own claimed execution answered (a gateway's tool call); it ends in the
        same write, its detail naming this step (governance.caller_executions)."""
        agent = self._agent(token)
        ended = None
        if execution is not None:
            ended = (
                str(execution.get("id")),
                str(execution.get("status")),
                check_report(
                    str(execution.get("id")),
                    str(execution.get("status")),
                    {**dict(execution.get("detail") or {}), "step": step_id},
                    None,
                ),
            )
        ps = prepared_steps
        with self.ledger.db.read() as conn:
            row = conn.execute(select(ps).where(ps.c.id == step_id)).first()
        if row is None or row.agent_id != agent.id:  # another agent's step does not exist for it
            raise NotFound(f"no prepared step {step_id[:64]} of agent {agent.id}")
        treated = self.minimiser.for_agent(agent, row.model, _utf8(output).decode())
        output_sha = hashlib.sha256(treated.text.encode()).hexdigest()
        labels = sorted(set(from_json(row.data_classes)) | {c.value for c in treated.exposed})
        hidden = _hidden(agent, set(labels))
        if hidden:
            raise PolicyError(f"agent {agent.id} may not see data classes {', '.join(hidden)}")
        treatments = {**from_json(row.treatments), "output": treated.record()}
        now = self.clock()

        def command(batch: Batch) -> steps.StepRecord:
            done = batch.conn.execute(select(ps.c.completed_seq).where(ps.c.id == step_id)).scalar()
            if done is not None:
                raise Conflict(f"step {step_id} was already completed (ledger entry {done})")
            appended = batch.emit(
                StepRecorded(
                    actor=agent.actor,
                    case=row.case_id,
                    step=step_id,
                    agent=agent.id,
                    owner=agent.owner,
                    model=row.model,
                    model_version=row.model_version,
                    params=from_json(row.params),
                    parents=tuple(from_json(row.parents)),
                    handoff_from=tuple(from_json(row.handoff_from)),
                    data_classes=tuple(labels),
                    data_policy=self.minimiser.policy.hash,
                    treatments=treatments,
                    prompt=row.prompt_sha256,
                    output=output_sha,
                    inputs=tuple(from_json(row.inputs_sha256)),
                    texts=(treated.text.encode(),),
                    prepared=row.prepared_seq,
                )
            )
            batch.conn.execute(
                update(ps).where(ps.c.id == step_id).values(completed_seq=appended.seq)
            )
            if ended is not None:
                finish_reported(batch, agent, *ended, None, now)
            return steps.StepRecord(
                step_id, appended.seq, tuple(labels), row.prompt_sha256, output_sha
            )

        return self._write(command, now=now)

    def _agent(self, token: str | None) -> Identity:
        agent = self.caller(token)
        if agent.is_human:
            raise AuthError(
                "steps are recorded by agents; a person's actions are approvals and dispositions"
            )
        return agent

    def _seal_original(self, step_id: str, original: bytes) -> tuple[bytes, bytes]:
        data_key = AESGCM.generate_key(bit_length=256)
        aad = b"affidavit-step-original:" + step_id.encode()
        nonce = os.urandom(_NONCE)
        sealed = nonce + AESGCM(data_key).encrypt(nonce, original, aad)
        return sealed, self.ledger.vault.kek.wrap(data_key, aad)

    # -- text in, where the CLI reads files --------------------------------------

    def ingest(self, data: bytes, *, case: str | None, actor: str) -> list[IngestResult]:
        """Alerts as JSON, a JSON array or JSON lines, vendor auto-detected."""
        return self.ingest_alerts(data, case=case, actor=actor)

    def import_assets_text(
        self, text: str, fmt: Literal["csv", "yaml"], source: str, *, token: str | None = None
    ) -> int:
        loaded = parse_assets(text, fmt=fmt, source=source)
        return self.import_inventory(loaded, source=source, token=token)

    def test_policy_text(self, cases_text: str, bundle_text: str | None = None) -> list[CaseResult]:
        if bundle_text is not None:
            engine = PolicyEngine(PolicyBundle.publish(bundle_text, self.catalog))
        else:
            with self.ledger.db.read() as conn:
                engine = self.policies.engine(conn)
        return run_policy_tests(engine, cases_text)


def _utf8(text: str) -> bytes:
    if not isinstance(text, str):
        raise InputError("step texts must be strings")
    return text.encode("utf-8", "strict")


def _hidden(agent: Identity, classes: set[str]) -> list[str]:
    if "*" in agent.data_classes:
        return []
    return sorted(classes - set(agent.data_classes))


def _labels(
    batch: Batch, agent: Identity, case: str, parents: list[str], own: set[str]
) -> tuple[list[str], list[str]]:
    """Labels travel from parent steps (a handoff); every one must be visible to ``agent``."""
    labels = set(own)
    handoff: set[str] = set()
    for parent_id in parents:
        row = batch.conn.execute(select(t.steps).where(t.steps.c.id == parent_id)).first()
        if row is None:
            raise NotFound(f"parent step {parent_id} does not exist")
        if row.case_id != case:
            raise InputError(f"parent step {parent_id} belongs to another case")
        labels |= set(from_json(row.data_classes))
        if row.agent_id != agent.id:
            handoff.add(row.agent_id)
    hidden = _hidden(agent, labels)
    if hidden:
        where = f"handed over by {', '.join(sorted(handoff))}" if handoff else "in this step"
        raise PolicyError(f"agent {agent.id} may not see data classes {', '.join(hidden)} {where}")
    return sorted(labels), sorted(handoff)
