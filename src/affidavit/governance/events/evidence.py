"""Events that bring evidence into a case: its opening, alerts, model steps, revealed tokens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from affidavit.errors import StorageError
from affidavit.governance.events._base import strings
from affidavit.ledger.events import Event, Payload

__all__ = ["AlertIngested", "CaseOpened", "StepRecorded", "TokenRevealed"]


def _attached(what: str, data: tuple[bytes, ...]) -> tuple[bytes, ...]:
    if not data:
        # A read-back event carries hashes only; it is never written again.
        raise StorageError(f"this {what} was read back without its payloads and cannot be written")
    return data


@dataclass(frozen=True, kw_only=True)
class CaseOpened(Event):
    """A case was opened by the first thing recorded in it (``case`` is its id)."""

    type: ClassVar[str] = "case.opened"

    def body(self) -> dict[str, Any]:
        return {}

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {}


@dataclass(frozen=True, kw_only=True)
class AlertIngested(Event):
    """An alert, normalised and minimised; its raw JSON is the entry's payload."""

    type: ClassVar[str] = "alert.ingested"

    alert: Mapping[str, Any]
    """The minimised summary (vendor, title, severity, entities, ...)."""
    data_classes: tuple[str, ...]
    """The data classes found in the raw alert."""
    raw_sha256: str
    raw: bytes = field(default=b"", compare=False, repr=False)

    def body(self) -> dict[str, Any]:
        return {"alert": dict(self.alert), "data_classes": list(self.data_classes)}

    def payloads(self) -> tuple[bytes, ...]:
        return _attached("alert", (self.raw,) if self.raw else ())

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {
            "alert": body["alert"],
            "data_classes": strings(body["data_classes"]),
            "raw_sha256": payloads[0].sha256,
        }


@dataclass(frozen=True, kw_only=True)
class StepRecorded(Event):
    """A model call of an agent: a node of the case's step DAG, texts as payloads."""

    type: ClassVar[str] = "step.recorded"

    step: str
    agent: str
    owner: str | None
    model: str
    model_version: str
    params: Mapping[str, Any]
    parents: tuple[str, ...]
    handoff_from: tuple[str, ...]
    data_classes: tuple[str, ...]
    data_policy: str
    treatments: Mapping[str, Any]
    prompt: str
    """SHA-256 of the stored prompt; likewise ``output`` and ``inputs``."""
    output: str
    inputs: tuple[str, ...]
    texts: tuple[bytes, ...] = field(default=(), compare=False, repr=False)
    """The prompt, output and inputs as stored, in that order."""
    prepared: int | None = None
    """The ``step.prepared`` entry this step completes (two-phase steps only)."""

    def body(self) -> dict[str, Any]:
        extra = {} if self.prepared is None else {"prepared": self.prepared}
        return extra | {
            "step": self.step,
            "agent": self.agent,
            "owner": self.owner,
            "model": self.model,
            "model_version": self.model_version,
            "params": dict(self.params),
            "parents": list(self.parents),
            "handoff_from": list(self.handoff_from),
            "data_classes": list(self.data_classes),
            "data_policy": self.data_policy,
            "treatments": dict(self.treatments),
            "prompt": self.prompt,
            "output": self.output,
            "inputs": list(self.inputs),
        }

    def payloads(self) -> tuple[bytes, ...]:
        return _attached("step", self.texts)

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {
            "step": body["step"],
            "agent": body["agent"],
            "owner": body["owner"],
            "model": body["model"],
            "model_version": body["model_version"],
            "params": body["params"],
            "parents": strings(body["parents"]),
            "handoff_from": strings(body["handoff_from"]),
            "data_classes": strings(body["data_classes"]),
            "data_policy": body["data_policy"],
            "treatments": body["treatments"],
            "prompt": body["prompt"],
            "output": body["output"],
            "inputs": strings(body["inputs"]),
            "prepared": body.get("prepared"),
        }


@dataclass(frozen=True, kw_only=True)
class StepPrepared(Event):
    """What an agent is about to send a model, as this agent and model may see it.

    Ledgered before the model call, so the ledger holds exactly what the model
    received; the original is sealed beside the step (never ledgered) and only a
    keyed commitment to it is here."""

    type: ClassVar[str] = "step.prepared"

    step: str
    agent: str
    owner: str | None
    model: str
    model_version: str
    params: Mapping[str, Any]
    parents: tuple[str, ...]
    handoff_from: tuple[str, ...]
    data_classes: tuple[str, ...]
    data_policy: str
    treatments: Mapping[str, Any]
    prompt: str
    inputs: tuple[str, ...]
    original: Mapping[str, Any]
    texts: tuple[bytes, ...] = field(default=(), compare=False, repr=False)

    def body(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "agent": self.agent,
            "owner": self.owner,
            "model": self.model,
            "model_version": self.model_version,
            "params": dict(self.params),
            "parents": list(self.parents),
            "handoff_from": list(self.handoff_from),
            "data_classes": list(self.data_classes),
            "data_policy": self.data_policy,
            "treatments": dict(self.treatments),
            "prompt": self.prompt,
            "inputs": list(self.inputs),
            "original": dict(self.original),
        }

    def payloads(self) -> tuple[bytes, ...]:
        return _attached("prepared step", self.texts)

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {
            "step": body["step"],
            "agent": body["agent"],
            "owner": body["owner"],
            "model": body["model"],
            "model_version": body["model_version"],
            "params": body["params"],
            "parents": strings(body["parents"]),
            "handoff_from": strings(body["handoff_from"]),
            "data_classes": strings(body["data_classes"]),
            "data_policy": body["data_policy"],
            "treatments": body["treatments"],
            "prompt": body["prompt"],
            "inputs": strings(body["inputs"]),
            "original": body["original"],
        }


@dataclass(frozen=True, kw_only=True)
class TokenRevealed(Event):
    """A person saw the original behind a token, and said why (the value is never ledgered)."""

    type: ClassVar[str] = "token.revealed"

    token: str
    reason: str

    def body(self) -> dict[str, Any]:
        return {"token": self.token, "reason": self.reason}

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {"token": body["token"], "reason": body["reason"]}
