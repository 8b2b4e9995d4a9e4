"""The asynchronous client (httpx.AsyncClient): the same calls as :class:`Client`, awaited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from affidavit.errors import InputError
from affidavit.sdk._core import RETRY_STATUSES, backoff, error_from, idempotency_key, input_text
from affidavit.sdk.client import Input, Prepared

__all__ = ["AsyncClient", "AsyncProposal", "AsyncStep"]


@dataclass
class AsyncProposal:
    client: AsyncClient
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def status(self) -> str:
        return str(self.data["status"])

    async def wait(self, timeout: float = 600.0) -> str:
        """Wait (long poll) until decided or ``timeout`` seconds pass; returns the status."""
        deadline = time.monotonic() + timeout
        first = True
        while first or self.status == "pending_approval":
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.data = await self.client._get(
                f"/v1/proposals/{self.id}", params={"wait": min(left, 60.0)}
            )
            first = False
        return self.status


@dataclass
class AsyncStep:
    client: AsyncClient
    case: str
    model: str
    model_version: str
    params: dict[str, Any] = field(default_factory=dict)
    parents: list[str] = field(default_factory=list)
    id: str | None = None
    completed: bool = False

    async def prepare(self, *, prompt: str, inputs: Sequence[Input] = ()) -> Prepared:
        if self.id is not None:
            raise InputError("this step was already prepared; open another step")
        body = await self.client._post(
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

    async def complete(
        self, output: str, *, execution: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Record the output; ``execution`` (``id``, ``status``, ``detail``): the output is
        what your claimed execution answered, and it ends in the same write."""
        if self.id is None:
            raise InputError("prepare the step before completing it")
        request: dict[str, Any] = {"output": output}
        if execution is not None:
            request["execution"] = dict(execution)
        body: dict[str, Any] = await self.client._post(f"/v1/steps/{self.id}/complete", request)
        self.completed = True
        return body

    async def propose(
        self,
        action: str,
        *,
        target: str,
        params: Mapping[str, Any] | None = None,
        confidence: float | None = None,
        rationale: str = "",
        evidence: Sequence[str] = (),
    ) -> AsyncProposal:
        return await self.client.propose(
            self.case,
            action,
            target=target,
            params=params,
            confidence=confidence,
            rationale=rationale,
            evidence=evidence,
            step=self.id if self.completed else None,
        )

    async def __aenter__(self) -> AsyncStep:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class AsyncClient:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 90.0,
        retries: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.retries = retries
        self._http = httpx.AsyncClient(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "User-Agent": "affidavit-sdk/1"},
            timeout=timeout,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self._http.request(method, path, **kwargs)
            except httpx.TransportError:
                if attempt >= self.retries:
                    raise
                await asyncio.sleep(backoff(attempt, None))
                attempt += 1
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                await asyncio.sleep(backoff(attempt, response))
                attempt += 1
                continue
            if response.status_code >= 400:
                raise error_from(response)
            return response

    async def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return (await self._send("GET", path, params=params)).json()

    async def _post(self, path: str, body: Any = None) -> Any:
        headers = {"Idempotency-Key": idempotency_key()}
        return (await self._send("POST", path, json=body, headers=headers)).json()

    async def me(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._get("/v1/me")
        return result

    def step(
        self,
        case: str,
        *,
        model: str,
        model_version: str,
        params: Mapping[str, Any] | None = None,
        parents: Sequence[str] = (),
    ) -> AsyncStep:
        return AsyncStep(self, case, model, model_version, dict(params or {}), list(parents))

    async def propose(
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
    ) -> AsyncProposal:
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
        return AsyncProposal(self, await self._post("/v1/proposals", body))

    async def claim_execution(self, proposal_id: str, *, connector: str) -> dict[str, Any]:
        """Consume the authorization of your own ``executor="caller"`` proposal before
        acting; ``{"execution": id, ...}``. A Conflict means it was used: do not act."""
        body = {"connector": connector}
        found: dict[str, Any] = await self._post(f"/v1/proposals/{proposal_id}/executions", body)
        return found

    async def report_execution(
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
        found: dict[str, Any] = await self._post(f"/v1/executions/{execution_id}/report", body)
        return found

    async def proposal(self, proposal_id: str) -> AsyncProposal:
        return AsyncProposal(self, await self._get(f"/v1/proposals/{proposal_id}"))

    async def decision(self, proposal_id: str) -> dict[str, Any]:
        """The policy decision on a proposal: effect, reasons, the policies that decided."""
        found: dict[str, Any] = await self._get(f"/v1/proposals/{proposal_id}/decision")
        return found

    async def payload(self, sha256: str) -> dict[str, Any]:
        """An evidence payload (``data_base64``); agents read only their own entries'."""
        found: dict[str, Any] = await self._get(f"/v1/payloads/{sha256}")
        return found

    async def view_evidence(self, proposal_id: str) -> AsyncProposal:
        return AsyncProposal(self, await self._get(f"/v1/proposals/{proposal_id}/evidence"))

    async def open_evidence(self, proposal_id: str, item: int = 0) -> dict[str, Any]:
        """Open one evidence item (recorded: approving tier 2 and above needs one opened);
        returns ``{"proposal", "item", "reference"}``."""
        found: dict[str, Any] = await self._get(f"/v1/proposals/{proposal_id}/evidence/{item}")
        return found

    async def approve(self, proposal_id: str, *, rationale: str = "") -> AsyncProposal:
        body = {"rationale": rationale}
        return AsyncProposal(self, await self._post(f"/v1/proposals/{proposal_id}/approve", body))

    async def deny(self, proposal_id: str, *, rationale: str) -> AsyncProposal:
        body = {"rationale": rationale}
        return AsyncProposal(self, await self._post(f"/v1/proposals/{proposal_id}/deny", body))

    async def execute(self, proposal_id: str) -> AsyncProposal:
        return AsyncProposal(self, await self._post(f"/v1/proposals/{proposal_id}/execute"))

    async def dispose(
        self, proposal_id: str, *, outcome: str, reason: str, rationale: str = ""
    ) -> int:
        body = {"outcome": outcome, "reason": reason, "rationale": rationale}
        return int((await self._post(f"/v1/proposals/{proposal_id}/dispositions", body))["seq"])
