"""Steps and handoffs: every model call an agent makes, as a node of a DAG.

A step records the agent, the model and its version, the prompt, inputs and
output (as evidence payloads, referenced by SHA-256), the parameters and the
parent steps. A handoff from agent A to agent B is B's step whose parents are
A's: the data classes that cross it (the parents' labels plus the step's own)
must all be visible to B, and its model must be one B may use.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from affidavit.errors import InputError, NotFound, PolicyError
from affidavit.governance import _tables as t
from affidavit.governance._common import IdSource, check_text, from_json
from affidavit.governance.events import StepRecorded
from affidavit.governance.identities import Identity
from affidavit.governance.minimise import Minimiser
from affidavit.ledger.batch import Batch
from affidavit.protect import Treated

__all__ = ["StepRecord", "TreatedStep", "record", "treat"]

MAX_PARENTS = 32
MAX_INPUTS = 32


@dataclass(frozen=True)
class StepRecord:
    id: str
    seq: int
    data_classes: tuple[str, ...]
    prompt_sha256: str
    output_sha256: str


@dataclass(frozen=True)
class TreatedStep:
    """A step's texts as stored: treated by the data policy for its agent and model."""

    model: str
    prompt: Treated
    inputs: tuple[Treated, ...]
    output: Treated

    @property
    def exposed(self) -> set[str]:
        parts = (self.prompt, self.output, *self.inputs)
        return {c.value for part in parts for c in part.exposed}

    def record(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt.record(),
            "output": self.output.record(),
            "inputs": [i.record() for i in self.inputs],
        }


def _text(data: bytes, what: str) -> str:
    if not isinstance(data, bytes):
        raise InputError(f"the step's {what} must be bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"the step's {what} is not UTF-8 text") from None


def treat(
    minimiser: Minimiser,
    agent: Identity,
    model: str,
    prompt: bytes,
    inputs: Sequence[bytes],
    output: bytes,
) -> TreatedStep:
    """Apply the data policy for ``agent`` and ``model`` to everything the step stores.

    Inputs are treated as the model must have seen them; the output is treated
    before it is stored or shown, so a summary cannot leak what the agent may
    not see. A ``block`` treatment refuses the step (PolicyError); nothing is stored.
    """
    model = check_text(model, "model", required=True)
    if agent.models and model not in agent.models:
        raise PolicyError(
            f"agent {agent.id} may not use model {model!r} (allowed: {', '.join(agent.models)})"
        )
    if len(inputs) > MAX_INPUTS:
        raise InputError(f"a step has at most {MAX_INPUTS} inputs")
    return TreatedStep(
        model,
        minimiser.for_agent(agent, model, _text(prompt, "prompt")),
        tuple(minimiser.for_agent(agent, model, _text(i, "input")) for i in inputs),
        minimiser.for_agent(agent, model, _text(output, "output")),
    )


def _hidden(agent: Identity, classes: set[str]) -> set[str]:
    if "*" in agent.data_classes:
        return set()
    return classes - set(agent.data_classes)


def record(
    batch: Batch,
    agent: Identity,
    *,
    case_id: str,
    model_version: str,
    treated: TreatedStep,
    params: Mapping[str, Any],
    parents: Sequence[str],
    data_classes: Sequence[str],
    data_policy: str,
    ids: IdSource,
) -> StepRecord:
    model_version = check_text(model_version, "model version", required=True)
    if len(parents) > MAX_PARENTS:
        raise InputError(f"a step has at most {MAX_PARENTS} parents")
    # Labels travel: what the caller declares, what passed in the clear, and the parents' labels.
    labels = {check_text(c, "data class", required=True) for c in data_classes} | treated.exposed
    handoff_from: set[str] = set()
    for parent_id in dict.fromkeys(parents):
        row = batch.conn.execute(select(t.steps).where(t.steps.c.id == parent_id)).first()
        if row is None:
            raise NotFound(f"parent step {parent_id} does not exist")
        if row.case_id != case_id:
            raise InputError(f"parent step {parent_id} belongs to another case")
        labels |= set(from_json(row.data_classes))
        if row.agent_id != agent.id:
            handoff_from.add(row.agent_id)
    hidden = _hidden(agent, labels)
    if hidden:
        where = (
            f"handed over by {', '.join(sorted(handoff_from))}" if handoff_from else "in this step"
        )
        raise PolicyError(
            f"agent {agent.id} may not see data classes {', '.join(sorted(hidden))} {where}"
        )
    step_id = ids("step")
    payloads = tuple(
        part.text.encode() for part in (treated.prompt, treated.output, *treated.inputs)
    )
    digests = [hashlib.sha256(b).hexdigest() for b in payloads]
    appended = batch.emit(
        StepRecorded(
            actor=agent.actor,
            case=case_id,
            step=step_id,
            agent=agent.id,
            owner=agent.owner,
            model=treated.model,
            model_version=model_version,
            params=dict(params),
            parents=tuple(dict.fromkeys(parents)),
            handoff_from=tuple(sorted(handoff_from)),
            data_classes=tuple(sorted(labels)),
            data_policy=data_policy,
            treatments=treated.record(),
            prompt=digests[0],
            output=digests[1],
            inputs=tuple(digests[2:]),
            texts=payloads,
        )
    )
    return StepRecord(step_id, appended.seq, tuple(sorted(labels)), digests[0], digests[1])
