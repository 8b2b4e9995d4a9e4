"""Alerts: ingest in any supported vendor format, the normalised view, and webhooks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from affidavit.api import webhooks
from affidavit.api._respond import create, governor, json_bytes, run
from affidavit.api.auth import Caller, allow
from affidavit.api.pagination import Page, PageParams, page
from affidavit.errors import AuthError, InputError
from affidavit.intake import default_normalizers, detect_vendor, read_alerts

router = APIRouter(tags=["alerts"])

_ALERTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "description": "A vendor alert, a JSON array of them, or JSON lines",
                    "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}],
                }
            }
        },
    }
}
CaseQuery = Query(None, min_length=1, max_length=128, description="Case (default: one per alert)")


def _results(results: list[Any]) -> dict[str, Any]:
    return {"alerts": [dict(r.__dict__) for r in results]}


@router.post(
    "/alerts",
    status_code=201,
    response_model=dict[str, Any],
    name="alerts.ingest",
    openapi_extra=_ALERTS_BODY,
)
async def ingest(
    request: Request,
    case: str | None = CaseQuery,
    caller: Caller = Depends(allow("alerts.ingest")),
) -> Response:
    """Normalise alerts (vendor auto-detected) and record each once in the ledger."""
    data = await request.body()
    gov = governor(request)
    actor = caller.identity.actor
    return await create(request, caller, lambda: _results(gov.ingest(data, case=case, actor=actor)))


@router.get("/alerts", response_model=Page[dict[str, Any]], name="alerts.list")
async def list_alerts(
    request: Request,
    paging: PageParams = Depends(),
    case: str | None = Query(None, max_length=128),
    caller: Caller = Depends(allow("alerts.list")),
) -> dict[str, Any]:
    """Ingested alerts, normalised and minimised as the ledger holds them."""
    found = await run(
        governor(request).alerts_page, after=paging.int_key(), limit=paging.limit, case=case
    )
    return page(found, paging.limit, lambda a: a["seq"])


def _vendors() -> list[str]:
    return sorted(n.name for n in default_normalizers())


@router.post(
    "/webhooks/alerts/{vendor}",
    status_code=201,
    response_model=dict[str, Any],
    name="webhooks.ingest",
    openapi_extra=_ALERTS_BODY,
)
async def webhook(
    request: Request,
    vendor: str = Path(pattern=r"^[a-z0-9_]{1,64}$"),
    case: str | None = CaseQuery,
) -> Response:
    """An alert source posts directly: with a bearer token (an integration), or signed
    with HMAC-SHA256 (headers X-Affidavit-Timestamp, -Nonce, -Signature)."""
    state = request.app.state
    gov = governor(request)
    data = await request.body()
    signature = request.headers.get(webhooks.SIGNATURE_HEADER)
    if signature is not None:
        secret = state.api_settings.webhook_secret
        if secret is None:
            raise AuthError("signed webhooks are not enabled on this server")
        now = gov.clock()
        nonce = request.headers.get(webhooks.NONCE_HEADER, "")
        webhooks.verify(
            secret,
            timestamp=request.headers.get(webhooks.TIMESTAMP_HEADER, ""),
            nonce=nonce,
            signature=signature,
            body=data,
            now=now,
            window_s=state.api_settings.webhook_window_s,
        )
        _check_vendor(vendor, data)
        await run(state.nonces.remember, nonce, now, state.api_settings.webhook_window_s)
        actor = f"system:webhook.{vendor}"
        results = await run(gov.ingest, data, case=case, actor=actor)
        return Response(
            json_bytes(_results(results)), status_code=201, media_type="application/json"
        )
    caller = await allow("webhooks.ingest")(request)
    _check_vendor(vendor, data)
    actor = caller.identity.actor
    return await create(request, caller, lambda: _results(gov.ingest(data, case=case, actor=actor)))


def _check_vendor(vendor: str, data: bytes) -> None:
    if vendor not in _vendors():
        raise InputError(f"unknown vendor format; use one of {', '.join(_vendors())}")
    for obj in read_alerts(data):
        if detect_vendor(obj).name != vendor:
            raise InputError(f"an alert in this delivery is not in the {vendor} format")
