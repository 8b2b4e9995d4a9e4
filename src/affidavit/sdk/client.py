"""The synchronous client: an agent's (or a person's) way to the Affidavit API.

    client = Client(url, token)
    with client.step(case_id, model="gpt-x", model_version="2026-05") as step:
        prepared = step.prepare(prompt=prompt, inputs=[alert])   # what this model may see
        output = call_model(prepared.prompt, prepared.inputs)
        step.complete(output)
    proposal = step.propose("isolate_host", target="host:pc-sales-0215", confidence=0.91)
    decision = proposal.wait(timeout=600)     # authorized / executed / denied / expired

Every create carries an ``Idempotency-Key``, reused when the call is retried
(connection errors, 429 with its Retry-After, 502/503/504; exponential backoff),
so a retry never records anything twice. Errors are the classes of
:mod:`affidavit.errors` the server raised.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

from affidavit.errors import InputError
from affidavit.sdk._core import RETRY_STATUSES, backoff, error_from, idempotency_key, input_text

__all__ = ["Client", "Prepared", "Proposal", "Step"]

Input = str | bytes | Mapping[str, Any] | Sequence[Any]


@dataclass(frozen=True)
class Prepared:
    """The prompt and inputs as this agent and model may see them: send the model these."""

    step_id: str
    prompt: str
    inputs: list[str]
    data_classes: list[str]


@dataclass
class Proposal:
    client: Client
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def status(self) -> str:
        return str(self.data["status"])

    def refresh(self) -> Proposal:
        self.data = self.client.proposal(self.id).data
        return self

    def wait(self, timeout: float = 600.0) -> str:
        """Block until decided or ``timeout`` seconds pass; returns the status then.

        The server holds each request open until the decision (long poll), so
        this makes one request per minute of waiting, not a tight poll.
        """
        deadline = time.monotonic() + timeout
        first = True
        while first or self.status == "pending_approval":
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.data = self.client._get(
                f"/v1/proposals/{self.id}", params={"wait": min(left, 60.0)}
            )
            first = False
        return self.status


@dataclass
class Step:
    """One model call: prepare (treat), call the model, complete (record the output)."""

    client: Client
    case: str
    model: str
    model_version: str
    params: dict[str, Any] = field(default_factory=dict)
    parents: list[str] = field(default_factory=list)
    id: str | None = None
    completed: bool = False

    def prepare(self, *, prompt: str, inputs: Sequence[Input] = ()) -> Prepared:
        if self.id is not None:
            raise InputError("this step was already prepared; open another step")
        body = self.client._post(
            "/v1/steps/prepare",
            {
                "case": self.case,
                "model": self.model,
                "model_version": self.model_version,
                "prompt": prompt,
                "inputs": [input_text(i) for i in inputs],
                "params": self.params,
                "parents": self.parents,
            },
        )
        self.id = str(body["step_id"])
        return Prepared(self.id, body["prompt"], list(body["inputs"]), list(body["data_classes"]))

    def complete(
        self, output: str, *, execution: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Record the output; ``execution`` (``id``, ``status``, ``detail``): the output is
        what your claimed execution answered, and it ends in the same write."""
        if self.id is None:
            raise InputError("prepare the step before completing it")
        request: dict[str, Any] = {"output": output}
        if execution is not None:
            request["execution"] = dict(execution)
        body: dict[str, Any] = self.client._post(f"/v1/steps/{self.id}/complete", request)
        self.completed = True
        return body

    def propose(
        self,
        action: str,
        *,
        target: str,
        params: Mapping[str, Any] | None = None,
        confidence: float | None = None,
        rationale: str = "",
        evidence: Sequence[str] = (),
    ) -> Proposal:
        """Propose an action from this step's output (linked to the step once completed)."""
        return self.client.propose(
            self.case,
            action,
            target=target,
            params=params,
            confidence=confidence,
            rationale=rationale,
            evidence=evidence,
            step=self.id if self.completed else None,
        )

    def __enter__(self) -> Step:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


class Client:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 90.0,
        retries: int = 4,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.retries = retries
        self._http = httpx.Client(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "User-Agent": "affidavit-sdk/1"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError:
                if attempt >= self.retries:
                    raise
                time.sleep(backoff(attempt, None))
                attempt += 1
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                time.sleep(backoff(attempt, response))
                attempt += 1
                continue
            if response.status_code >= 400:
                raise error_from(response)
            return response

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._send("GET", path, params=params).json()

    def _post(self, path: str, body: Any = None) -> Any:
        headers = {"Idempotency-Key": idempotency_key()}  # one key for every retry of this call
        return self._send("POST", path, json=body, headers=headers).json()

    def _pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        query = dict(params or {}, limit=500)
        while True:
            body = self._get(path, query)
            yield from body["items"]
            if body["next_cursor"] is None:
                return
            query["cursor"] = body["next_cursor"]

    # -- the work --------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        result: dict[str, Any] = self._get("/v1/me")
        return result

    def step(
        self,
        case: str,
        *,
        model: str,
        model_version: str,
        params: Mapping[str, Any] | None = None,
        parents: Sequence[str] = (),
    ) -> Step:
        return Step(self, case, model, model_version, dict(params or {}), list(parents))

    def propose(
        self,
        case: str,
        action: str,
        *,
        target: str,
        params: Mapping[str, Any] | None = None,
        confidence: float | None = None,
        rationale: str = "",
        evidence: Sequence[str] = (),
        step: str | None = None,
        executor: str | None = None,
        claim: str | None = None,
    ) -> Proposal:
        """``executor="caller"``: you act yourself once it is authorized, between
        ``claim_execution`` and ``report_execution``; Affidavit's executor never runs it.
        ``claim`` (a connector name): when the policy allows it, the execution is
        claimed at once, in the same write (``data["execution"]``)."""
        body = {
            "case": case,
            "action": action,
            "target": target,
            "params": dict(params or {}),
            "confidence": confidence,
            "rationale": rationale,
            "evidence": list(evidence),
            "step": step,
        }
        if executor is not None:
            body["executor"] = executor
        if claim is not None:
            body["claim"] = claim
        return Proposal(self, self._post("/v1/proposals", body))

    def claim_execution(self, proposal_id: str, *, connector: str) -> dict[str, Any]:
        """Consume the authorization of your own ``executor="caller"`` proposal before
        acting; ``{"execution": id, ...}``. A Conflict means it was used: do not act."""
        body = {"connector": connector}
        found: dict[str, Any] = self._post(f"/v1/proposals/{proposal_id}/executions", body)
        return found

    def report_execution(
        self,
        execution_id: str,
        *,
        status: str,
        detail: Mapping[str, Any] | None = None,
        external_ref: str | None = None,
    ) -> dict[str, Any]:
        """How your claimed execution ended: ``succeeded`` or ``failed``. ``detail`` is
        plaintext in the ledger: references and hashes, never the tool's output."""
        body = {"status": status, "detail": dict(detail or {}), "external_ref": external_ref}
        found: dict[str, Any] = self._post(f"/v1/executions/{execution_id}/report", body)
        return found

    def proposal(self, proposal_id: str) -> Proposal:
        return Proposal(self, self._get(f"/v1/proposals/{proposal_id}"))

    def proposals(
        self, *, status: str | None = None, case: str | None = None
    ) -> Iterator[Proposal]:
        params = {k: v for k, v in (("status", status), ("case", case)) if v is not None}
        for data in self._pages("/v1/proposals", params):
            yield Proposal(self, data)

    def decision(self, proposal_id: str) -> dict[str, Any]:
        """The policy decision on a proposal: effect, reasons, the policies that decided."""
        found: dict[str, Any] = self._get(f"/v1/proposals/{proposal_id}/decision")
        return found

    def payload(self, sha256: str) -> dict[str, Any]:
        """An evidence payload (``data_base64``); agents read only their own entries'."""
        found: dict[str, Any] = self._get(f"/v1/payloads/{sha256}")
        return found

    def view_evidence(self, proposal_id: str) -> Proposal:
        """Open the proposal's evidence (recorded: some approvals require it)."""
        return Proposal(self, self._get(f"/v1/proposals/{proposal_id}/evidence"))

    def open_evidence(self, proposal_id: str, item: int = 0) -> dict[str, Any]:
        """Open one evidence item (recorded: approving tier 2 and above needs one opened);
        returns ``{"proposal", "item", "reference"}``."""
        found: dict[str, Any] = self._get(f"/v1/proposals/{proposal_id}/evidence/{item}")
        return found

    def approve(self, proposal_id: str, *, rationale: str = "") -> Proposal:
        return Proposal(
            self, self._post(f"/v1/proposals/{proposal_id}/approve", {"rationale": rationale})
        )

    def deny(self, proposal_id: str, *, rationale: str) -> Proposal:
        return Proposal(
            self, self._post(f"/v1/proposals/{proposal_id}/deny", {"rationale": rationale})
        )

    def breakglass(self, proposal_id: str, *, justification: str) -> Proposal:
        body = {"justification": justification}
        return Proposal(self, self._post(f"/v1/proposals/{proposal_id}/breakglass", body))

    def review(self, proposal_id: str, *, upheld: bool, rationale: str) -> None:
        """Review a break-glass use (upheld or not), as an approver or admin."""
        body = {"upheld": upheld, "rationale": rationale}
        self._post(f"/v1/proposals/{proposal_id}/review", body)

    def execute(self, proposal_id: str) -> Proposal:
        return Proposal(self, self._post(f"/v1/proposals/{proposal_id}/execute"))

    def dispose(
        self,
        proposal_id: str,
        *,
        outcome: str,
        reason: str,
        rationale: str = "",
        override_with: str | None = None,
    ) -> int:
        body = {
            "outcome": outcome,
            "reason": reason,
            "rationale": rationale,
            "override_with": override_with,
        }
        return int(self._post(f"/v1/proposals/{proposal_id}/dispositions", body)["seq"])

    def ingest_alerts(self, alerts: bytes, *, case: str | None = None) -> list[dict[str, Any]]:
        headers = {"Idempotency-Key": idempotency_key(), "Content-Type": "application/json"}
        params = {"case": case} if case else None
        response = self._send("POST", "/v1/alerts", content=alerts, headers=headers, params=params)
        found: list[dict[str, Any]] = response.json()["alerts"]
        return found

    def checkpoint(self) -> str:
        return self._send("GET", "/v1/ledger/checkpoint").text
