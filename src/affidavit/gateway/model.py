"""The OpenAI-compatible model gateway: Affidavit in the path of every model call.

``POST /v1/chat/completions`` and ``POST /v1/responses``, streamed or not. For each
call the gateway (1) authenticates the agent by its Affidavit token (the bearer
token the OpenAI client sends), (2) has the server treat every text of the request
under the agent's data policy (``steps.prepare``) and sends the upstream only the
treated texts, (3) forwards to the upstream with the upstream's own API key,
(4) records what the model returned (``steps.complete``) and returns it as the
policy lets the agent see it. A failure upstream (an error status, a timeout,
something that is not a completion) is recorded as the step's output and answered
with a clear error: a call is never lost. See docs/gateways.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from affidavit.errors import AffidavitError, InputError, PolicyError, TooLarge
from affidavit.gateway import _openai as oa
from affidavit.gateway._agents import AgentClients, complete_treated, record_failure
from affidavit.gateway._model_errors import STEP_HEADER, affidavit_error, error
from affidavit.gateway._model_settings import ModelGatewaySettings, check_case
from affidavit.gateway._segments import join_segments, split_segments
from affidavit.sdk import AsyncStep

__all__ = ["ModelGatewaySettings", "create_model_gateway"]

log = logging.getLogger("affidavit.gateway.model")
CASE_HEADER = "x-affidavit-case"
PARENTS_HEADER = "x-affidavit-parents"
VERSION_HEADER = "x-affidavit-model-version"
PROPOSALS_HEADER = "X-Affidavit-Proposals"
MAX_UPSTREAM_BYTES = 32 * 1024 * 1024


def _step_params(api: str, body: dict[str, Any]) -> dict[str, Any]:
    """What else shaped the call, small and free of text: the API, numbers, tool names."""
    params: dict[str, Any] = {"api": api, "stream": bool(body.get("stream"))}
    for key in ("temperature", "top_p", "max_tokens", "max_completion_tokens", "seed", "n"):
        if isinstance(body.get(key), (int, float)) and not isinstance(body.get(key), bool):
            params[key] = body[key]
    tools = body.get("tools")
    if isinstance(tools, list):
        names = []
        for tool in tools[:128]:
            fn = tool.get("function", tool) if isinstance(tool, dict) else {}
            if isinstance(fn, dict) and isinstance(fn.get("name"), str):
                names.append(fn["name"][:128])
        params["tools"] = names
    return params


class _Upstream(Exception):
    """The upstream failed; recorded as the step's output, answered as ``status``."""

    def __init__(self, status: int, kind: str, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.detail = status, kind, message, detail


class ModelGateway:
    def __init__(self, settings: ModelGatewaySettings) -> None:
        self.settings = settings
        self.agents = AgentClients(settings.affidavit_url)
        headers = {"Content-Type": "application/json"}
        if settings.upstream_key:
            headers["Authorization"] = f"Bearer {settings.upstream_key}"
        self.http = httpx.AsyncClient(
            base_url=settings.upstream.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(settings.timeout_s),
        )

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.agents.aclose()

    # -- the request ----------------------------------------------------------

    async def handle(self, request: Request, api: str) -> Response:
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if not token:
            return error(401, "invalid_api_key", "an Affidavit agent token is required")
        try:
            body = await self._body(request)
            case = check_case(request.headers.get(CASE_HEADER) or self.settings.case)
            parents = [
                p.strip() for p in request.headers.get(PARENTS_HEADER, "").split(",") if p.strip()
            ]
            slots = oa.request_slots(api, body)
            model = body.get("model")
            if not isinstance(model, str) or not model:
                raise InputError("model must be a non-empty string")
        except InputError as exc:
            return affidavit_error(exc)
        for name in oa.DROPPED_FIELDS:
            body.pop(name, None)
        client = self.agents.get(token)
        step = client.step(
            case,
            model=model,
            model_version=request.headers.get(VERSION_HEADER) or self.settings.model_version,
            params=_step_params(api, body),
            parents=parents[:32],
        )
        labels = [s.label for s in slots]
        try:
            prepared = await step.prepare(prompt=join_segments(labels, [s.text for s in slots]))
        except AffidavitError as exc:
            return affidavit_error(exc)
        try:
            for slot, text in zip(slots, split_segments(prepared.prompt, len(slots)), strict=True):
                slot.put(text)
        except PolicyError as exc:
            await record_failure(step, "treatment", exc.message)
            return affidavit_error(exc, step.id)
        try:
            if body.get("stream"):
                return await self._streamed(api, body, step)
            return await self._whole(api, body, step)
        except _Upstream as exc:
            await record_failure(step, exc.kind, exc.message, exc.detail)
            return error(
                exc.status, exc.kind, f"{exc.message} (recorded as step {step.id})", step.id
            )
        except AffidavitError as exc:
            # the model answered but the answer could not be recorded: it is withheld
            log.error("step %s: could not record the output: %s", step.id, exc.code)
            return error(
                503,
                "affidavit_unavailable",
                f"the model's answer could not be recorded, so it is withheld: {exc.message}",
                step.id,
            )

    async def _body(self, request: Request) -> dict[str, Any]:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.settings.max_body_bytes:
            raise TooLarge(f"the request is larger than {self.settings.max_body_bytes} bytes")
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > self.settings.max_body_bytes:
                raise TooLarge(f"the request is larger than {self.settings.max_body_bytes} bytes")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise InputError("the request body is not JSON") from None
        if not isinstance(body, dict):
            raise InputError("the request body must be a JSON object")
        return body

    def _path(self, api: str) -> str:
        return "/chat/completions" if api == oa.CHAT else "/responses"

    async def _treat_output(
        self, step: AsyncStep, texts: dict[tuple[Any, ...], tuple[str, str]]
    ) -> dict[tuple[Any, ...], str] | None:
        """Record the output; the treated texts by key, or None when nothing changed."""
        keys = list(texts)
        joined = join_segments([texts[k][0] for k in keys], [texts[k][1] for k in keys])
        treated = await complete_treated(step, joined)
        if treated == joined:
            return None
        return dict(zip(keys, split_segments(treated, len(keys)), strict=True))

    # -- whole responses --------------------------------------------------------

    async def _whole(self, api: str, body: dict[str, Any], step: AsyncStep) -> Response:
        raw, status = await self._exchange(api, body)
        if status >= 400:
            raise _Upstream(
                502, "upstream_error", f"the upstream answered HTTP {status}", _text(raw)
            )
        try:
            answer = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            answer = None
        if not oa.well_formed(api, answer):
            raise _Upstream(
                502, "upstream_garbage", "the upstream's answer is not a model response", _text(raw)
            )
        treated = await self._treat_output(step, oa.output_texts(api, answer))
        # proposals carry what the model emitted (the approver must see the real target);
        # the agent gets the calls as its data policy lets it see them
        calls = _tool_calls(api, answer)
        if treated is not None:
            oa.apply_output(api, answer, treated)
        headers = {STEP_HEADER: str(step.id)}
        proposals = await self._propose(calls, step)
        if proposals:
            headers[PROPOSALS_HEADER] = proposals
        return JSONResponse(answer, headers=headers)

    async def _exchange(self, api: str, body: dict[str, Any]) -> tuple[bytes, int]:
        try:
            async with asyncio.timeout(self.settings.timeout_s):
                async with self.http.stream("POST", self._path(api), json=body) as response:
                    raw = bytearray()
                    async for chunk in response.aiter_bytes():
                        raw += chunk
                        if len(raw) > MAX_UPSTREAM_BYTES:
                            raise _Upstream(
                                502, "upstream_garbage", "the upstream's answer is too large"
                            )
                    return bytes(raw), response.status_code
        except TimeoutError:
            raise _Upstream(
                504,
                "upstream_timeout",
                f"the upstream did not answer within {self.settings.timeout_s:g} s",
            ) from None
        except httpx.HTTPError as exc:
            raise _Upstream(
                502,
                "upstream_unreachable",
                f"the upstream could not be reached ({type(exc).__name__})",
            ) from None

    # -- streams ----------------------------------------------------------------

    async def _streamed(self, api: str, body: dict[str, Any], step: AsyncStep) -> Response:
        """Buffered: the whole stream is read and its output treated and recorded before
        the client gets the first event (the policy sees the whole text, not pieces)."""
        raw, status = await self._exchange(api, body)
        if status >= 400:
            raise _Upstream(
                502, "upstream_error", f"the upstream answered HTTP {status}", _text(raw)
            )
        try:
            events, done = oa.parse_sse(raw)
        except (ValueError, UnicodeDecodeError):
            raise _Upstream(
                502,
                "upstream_garbage",
                "the upstream's stream is not server-sent JSON events",
                _text(raw),
            ) from None
        if not events or (api == oa.CHAT and not done):
            raise _Upstream(
                502,
                "upstream_garbage",
                "the upstream's stream ended before it was complete",
                _text(raw),
            )
        rewriter = oa.StreamRewriter(api, events)
        calls = rewriter.tool_calls()  # as the model emitted them, before any treatment
        treated = await self._treat_output(step, rewriter.texts())
        if treated is not None:
            rewriter.rewrite(treated)
            raw = oa.render_sse(api, events, done)
        headers = {STEP_HEADER: str(step.id), "Cache-Control": "no-cache"}
        proposals = await self._propose(calls, step)
        if proposals:
            headers[PROPOSALS_HEADER] = proposals
        return Response(raw, media_type="text/event-stream", headers=headers)

    # -- tool calls into proposals ----------------------------------------------

    async def _propose(self, calls: list[tuple[str, str, str]], step: AsyncStep) -> str:
        mapping = self.settings.mapping
        if mapping is None:
            return ""
        made: list[str] = []
        for call_id, name, arguments in calls:
            spec = mapping.get(name)
            if spec is None:
                continue
            try:
                args = json.loads(arguments) if arguments else {}
                mapped = spec.apply(args if isinstance(args, dict) else {})
                proposal = await step.propose(
                    mapped.action,
                    target=mapped.target,
                    params=mapped.params,
                    confidence=mapped.confidence,
                    rationale=mapped.rationale,
                    evidence=[f"step:{step.id}"],  # what approvers open (tier 2 and above)
                )
                made.append(f"{call_id}={proposal.id}:{proposal.status}")
            except (ValueError, AffidavitError):
                made.append(f"{call_id}=refused")
        return ",".join(made)


def _tool_calls(api: str, answer: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = []
    if api == oa.CHAT:
        for choice in answer.get("choices") or []:
            for call in (choice.get("message") or {}).get("tool_calls") or []:
                fn = call.get("function") if isinstance(call, dict) else None
                if isinstance(fn, dict) and isinstance(fn.get("name"), str):
                    found.append(
                        (str(call.get("id", "")), fn["name"], str(fn.get("arguments", "")))
                    )
    else:
        for item in answer.get("output") or []:
            if item.get("type") == "function_call" and isinstance(item.get("name"), str):
                found.append(
                    (str(item.get("call_id", "")), item["name"], str(item.get("arguments", "")))
                )
    return found


def _text(raw: bytes) -> str:
    return raw[:16384].decode("utf-8", "replace")


def create_model_gateway(settings: ModelGatewaySettings) -> Starlette:
    """The ASGI app; serve it with uvicorn (``affidavit gateway model``)."""
    gateway = ModelGateway(settings)

    async def chat(request: Request) -> Response:
        return await gateway.handle(request, oa.CHAT)

    async def responses(request: Request) -> Response:
        return await gateway.handle(request, oa.RESPONSES)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await gateway.aclose()

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/responses", responses, methods=["POST"]),
            Route("/healthz", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
