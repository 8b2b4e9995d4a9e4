"""The gateways' way to Affidavit: one SDK client per agent token, and the step helpers
both gateways share (record a failure, read back the treated output)."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from affidavit.errors import AffidavitError
from affidavit.sdk import AsyncClient, AsyncStep

__all__ = ["AgentClients", "complete_treated", "record_failure"]

log = logging.getLogger("affidavit.gateway")
MAX_CLIENTS = 256
MAX_FAILURE_BODY = 16 * 1024


class AgentClients:
    """An AsyncClient per agent token (keyed by the token's hash), the least recent closed
    when more than MAX_CLIENTS are open. The server authenticates every call."""

    def __init__(self, url: str, *, timeout: float = 90.0, retries: int = 2) -> None:
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self._clients: OrderedDict[str, AsyncClient] = OrderedDict()
        self._evicted: list[AsyncClient] = []

    def get(self, token: str) -> AsyncClient:
        key = hashlib.sha256(token.encode()).hexdigest()
        client = self._clients.get(key)
        if client is None:
            client = AsyncClient(self.url, token, timeout=self.timeout, retries=self.retries)
            self._clients[key] = client
            while len(self._clients) > MAX_CLIENTS:
                # closed at shutdown: one with requests in flight must finish them first
                self._evicted.append(self._clients.popitem(last=False)[1])
        else:
            self._clients.move_to_end(key)
        return client

    async def aclose(self) -> None:
        for client in [*self._clients.values(), *self._evicted]:
            await client.aclose()
        self._clients.clear()
        self._evicted.clear()


async def complete_treated(
    step: AsyncStep, output: str, execution: Mapping[str, Any] | None = None
) -> str:
    """Complete the step with ``output`` (ending ``execution`` with it, when given);
    return the output as the data policy lets the agent see it (unchanged unless a
    treatment applied, then read back from the server)."""
    record = await step.complete(output, execution=execution)
    if record.get("output_sha256") == hashlib.sha256(output.encode()).hexdigest():
        return output
    data = await step.client.payload(str(record["output_sha256"]))
    return base64.b64decode(data["data_base64"]).decode("utf-8")


async def record_failure(
    step: AsyncStep,
    kind: str,
    message: str,
    detail: Any = None,
    execution: Mapping[str, Any] | None = None,
) -> None:
    """Record a failed call as the step's output: the failure is in the ledger, not lost.

    If even that fails (the Affidavit server is unreachable), the prepared step in the
    ledger still shows the call was started; the error is logged without any content.
    """
    body: dict[str, Any] = {"error": {"kind": kind, "message": message}}
    if detail is not None:
        text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)
        body["error"]["detail"] = text[:MAX_FAILURE_BODY]
    try:
        await step.complete(json.dumps(body, ensure_ascii=False), execution=execution)
    except AffidavitError as exc:
        log.error("could not record the failure of step %s: %s", step.id, exc.code)
