"""Ledger entries as OpenTelemetry spans, with the GenAI semantic conventions where they apply.

* ``step.recorded`` -> span ``chat <model>`` (kind CLIENT): ``gen_ai.operation.name``
  ``chat``, ``gen_ai.system`` and ``gen_ai.provider.name`` (from the sink's
  ``models`` map, else ``gen_ai_system``), ``gen_ai.request.model``,
  ``gen_ai.agent.id``, ``gen_ai.conversation.id`` (the case); its parent is the
  step it continues.
* ``proposal.created`` -> span ``decide <action>``: the policy decision; its
  parent is the step that proposed it.
* ``approval.*``, ``breakglass.invoked`` -> span ``approve`` / ``deny`` /
  ``breakglass``, child of the proposal.
* ``execution.finished`` -> span ``execute_tool <action>`` (``gen_ai.operation.name``
  ``execute_tool``, ``gen_ai.tool.name``, ``gen_ai.tool.call.id`` = execution id),
  child of the proposal, status ERROR when it failed; it starts at
  ``execution.started`` when that entry went through the same exporter.

Steps are recorded after the fact, so their spans have no duration. Trace and
span ids are derived from the ledger (the case, the step, proposal or entry),
so a span sent twice after a lost acknowledgement has the same ids, and every
event of one case lands in one trace. Attributes ``affidavit.ledger.seq`` and
``affidavit.ledger.origin`` point back to the entry; digests of prompts and
outputs are attributes, their text never is.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from affidavit import __version__
from affidavit.export._redact import Redactor
from affidavit.governance import events as ev
from affidavit.ledger.entry import StoredEntry

__all__ = ["SpanBuilder", "span_id", "trace_id"]

_MEMORY = 10_000  # proposals and execution starts remembered across batches


def _object(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one: entry bodies are read defensively."""
    return value if isinstance(value, dict) else {}


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def trace_id(origin: str, case: str | None, seq: int) -> int:
    """One trace per case (per entry when an entry has no case); never 0."""
    key = ("case", case) if case is not None else ("entry", str(seq))
    return int.from_bytes(_digest(origin, *key)[:16], "big") or 1


def span_id(origin: str, kind: str, ident: str) -> int:
    return int.from_bytes(_digest(origin, kind, ident)[:8], "big") or 1


def _ns(time: str) -> int:
    moment = datetime.fromisoformat(time[:-1]).replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


class SpanBuilder:
    def __init__(
        self,
        origin: str,
        redactor: Redactor,
        *,
        service_name: str = "affidavit",
        gen_ai_system: str = "_OTHER",
        models: Mapping[str, str] | None = None,
    ) -> None:
        self._origin = origin
        self._redactor = redactor
        self._system = gen_ai_system
        self._models = dict(models or {})
        self.resource = Resource.create(
            {
                "service.name": service_name,
                "service.version": __version__,
                "affidavit.ledger.origin": origin,
            }
        )
        self._scope = InstrumentationScope("affidavit.export", __version__)
        self._actions: OrderedDict[str, str] = OrderedDict()
        self._started: OrderedDict[str, int] = OrderedDict()

    def _remember(self, memory: OrderedDict[str, Any], key: str, value: Any) -> None:
        memory[key] = value
        memory.move_to_end(key)
        while len(memory) > _MEMORY:
            memory.popitem(last=False)

    def _context(self, trace: int, span: int) -> SpanContext:
        return SpanContext(trace, span, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))

    def _span(
        self,
        entry: StoredEntry,
        name: str,
        own: tuple[str, str],
        parent: tuple[str, str] | None,
        attributes: dict[str, Any],
        *,
        kind: SpanKind = SpanKind.INTERNAL,
        status: Status | None = None,
        start: int | None = None,
    ) -> ReadableSpan:
        trace = trace_id(self._origin, entry.case, entry.seq)
        end = _ns(entry.time)
        attributes.update(
            {
                "affidavit.ledger.seq": entry.seq,
                "affidavit.ledger.origin": self._origin,
                "affidavit.ledger.type": entry.type,
                "affidavit.actor": entry.actor,
            }
        )
        if entry.case is not None:
            attributes["affidavit.case"] = entry.case
        clean = {
            k: self._redactor.json(v) for k, v in attributes.items() if v is not None and v != []
        }
        return ReadableSpan(
            name=self._redactor.text(name),
            context=self._context(trace, span_id(self._origin, *own)),
            parent=self._context(trace, span_id(self._origin, *parent)) if parent else None,
            resource=self.resource,
            attributes=clean,
            kind=kind,
            status=status or Status(StatusCode.UNSET),
            start_time=min(start, end) if start is not None else end,
            end_time=end,
            instrumentation_scope=self._scope,
        )

    def spans(self, entries: Sequence[StoredEntry]) -> list[ReadableSpan]:
        out: list[ReadableSpan] = []
        for entry in entries:
            try:
                body = entry.body
            except (ValueError, KeyError, AssertionError):
                continue
            span = self._one(entry, body)
            if span is not None:
                out.append(span)
        return out

    def _one(self, entry: StoredEntry, body: dict[str, Any]) -> ReadableSpan | None:
        kind = entry.type
        if kind == ev.StepRecorded.type:
            return self._step(entry, body)
        if kind == ev.ProposalCreated.type:
            return self._proposal(entry, body)
        if kind in (ev.ApprovalGranted.type, ev.ApprovalDenied.type, ev.BreakglassInvoked.type):
            proposal = str(body.get("proposal", ""))
            name = {
                ev.ApprovalGranted.type: "approve",
                ev.ApprovalDenied.type: "deny",
                ev.BreakglassInvoked.type: "breakglass",
            }[kind]
            return self._span(
                entry,
                name,
                ("entry", str(entry.seq)),
                ("proposal", proposal),
                {
                    "affidavit.proposal.id": proposal,
                    "affidavit.rationale": body.get("rationale") or body.get("justification"),
                },
            )
        if kind == ev.ExecutionStarted.type:
            self._remember(self._started, str(body.get("execution", "")), _ns(entry.time))
            return None
        if kind == ev.ExecutionFinished.type:
            return self._execution(entry, body)
        return None

    def _step(self, entry: StoredEntry, body: dict[str, Any]) -> ReadableSpan:
        model = str(body.get("model", ""))
        system = self._models.get(model, self._system)
        step = str(body.get("step", entry.seq))
        parents = _strings(body.get("parents"))
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.system": system,
            "gen_ai.provider.name": system,
            "gen_ai.request.model": model,
            "gen_ai.agent.id": body.get("agent"),
            "gen_ai.conversation.id": entry.case,
            "affidavit.step.id": step,
            "affidavit.model_version": body.get("model_version"),
            "affidavit.owner": body.get("owner"),
            "affidavit.data_classes": _strings(body.get("data_classes")),
            "affidavit.data_policy": body.get("data_policy"),
            "affidavit.prompt.sha256": body.get("prompt"),
            "affidavit.output.sha256": body.get("output"),
            "affidavit.handoff_from": _strings(body.get("handoff_from")),
        }
        parent = ("step", parents[0]) if parents else None
        return self._span(
            entry, f"chat {model}", ("step", step), parent, attributes, kind=SpanKind.CLIENT
        )

    def _proposal(self, entry: StoredEntry, body: dict[str, Any]) -> ReadableSpan:
        proposal = _object(body.get("proposal"))
        decision = _object(body.get("decision"))
        ident = str(proposal.get("id", entry.seq))
        action = str(proposal.get("action", ""))
        self._remember(self._actions, ident, action)
        step = proposal.get("step")
        attributes: dict[str, Any] = {
            "affidavit.proposal.id": ident,
            "affidavit.action": action,
            "affidavit.target": proposal.get("target"),
            "affidavit.decision.effect": decision.get("effect"),
            "affidavit.decision.reasons": _strings(decision.get("reasons")),
            "affidavit.decision.policies": _strings(decision.get("determining_policies")),
            "affidavit.policy.bundle": decision.get("bundle_hash"),
            "affidavit.approvals_required": decision.get("approvals_required"),
            "affidavit.confidence": proposal.get("confidence"),
            "affidavit.rationale": proposal.get("rationale"),
        }
        if str(entry.actor).startswith("agent:"):
            attributes["gen_ai.agent.id"] = proposal.get("proposer")
        parent = ("step", str(step)) if step else None
        return self._span(entry, f"decide {action}", ("proposal", ident), parent, attributes)

    def _execution(self, entry: StoredEntry, body: dict[str, Any]) -> ReadableSpan:
        proposal = str(body.get("proposal", ""))
        execution = str(body.get("execution", entry.seq))
        action = self._actions.get(proposal)
        detail = _object(body.get("detail"))
        failed = body.get("status") != "succeeded"
        status = (
            Status(StatusCode.ERROR, self._redactor.text(str(detail.get("error", "failed"))))
            if failed
            else Status(StatusCode.OK)
        )
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": action,
            "gen_ai.tool.call.id": execution,
            "affidavit.proposal.id": proposal,
            "affidavit.execution.status": body.get("status"),
            "affidavit.external_ref": body.get("external_ref"),
        }
        if failed:
            attributes["error.type"] = str(detail.get("error_kind", "failed"))
        name = f"execute_tool {action}" if action else "execute_tool"
        return self._span(
            entry,
            name,
            ("execution", execution),
            ("proposal", proposal),
            attributes,
            status=status,
            start=self._started.get(execution),
        )
