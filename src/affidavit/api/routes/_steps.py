"""Steps (a model call each), the two-phase prepare/complete, and evidence payloads."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from affidavit.api._respond import create, governor, run
from affidavit.api.auth import Caller, allow
from affidavit.api.models import CompleteIn, PreparedOut, PrepareIn, StepIn, StepOut
from affidavit.api.pagination import Page, PageParams, page
from affidavit.errors import NotFound

router = APIRouter(tags=["steps"])

StepId = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


def _step_out(record: Any) -> dict[str, Any]:
    return {
        "id": record.id,
        "seq": record.seq,
        "data_classes": list(record.data_classes),
        "prompt_sha256": record.prompt_sha256,
        "output_sha256": record.output_sha256,
    }


@router.post("/steps", status_code=201, response_model=StepOut, name="steps.record")
async def record_step(
    body: StepIn, request: Request, caller: Caller = Depends(allow("steps.record"))
) -> Response:
    """Record a finished model call in one go (prompt, inputs and output are treated
    by the data policy before they are stored)."""
    gov = governor(request)

    def fn() -> dict[str, Any]:
        return _step_out(
            gov.record_step(
                caller.token,
                case=body.case,
                model=body.model,
                model_version=body.model_version,
                prompt=body.prompt.encode(),
                output=body.output.encode(),
                inputs=[i.encode() for i in body.inputs],
                params=body.params,
                parents=body.parents,
                data_classes=body.data_classes,
            )
        )

    return await create(request, caller, fn)


@router.post("/steps/prepare", status_code=201, response_model=PreparedOut, name="steps.prepare")
async def prepare_step(
    body: PrepareIn, request: Request, caller: Caller = Depends(allow("steps.prepare"))
) -> Response:
    """The prompt and inputs as this agent and model may see them; send the model these.
    The ledger records this treated text (what the model receives), with a keyed
    commitment to the original."""
    gov = governor(request)

    def fn() -> dict[str, Any]:
        prepared = gov.prepare_step(
            caller.token,
            case=body.case,
            model=body.model,
            model_version=body.model_version,
            prompt=body.prompt,
            inputs=body.inputs,
            params=body.params,
            parents=body.parents,
            data_classes=body.data_classes,
        )
        return {
            "step_id": prepared.id,
            "seq": prepared.seq,
            "prompt": prepared.prompt,
            "inputs": list(prepared.inputs),
            "data_classes": list(prepared.data_classes),
            "treatments": dict(prepared.treatments),
        }

    return await create(request, caller, fn)


@router.post(
    "/steps/{step_id}/complete", status_code=201, response_model=StepOut, name="steps.complete"
)
async def complete_step(
    body: CompleteIn,
    request: Request,
    step_id: str = StepId,
    caller: Caller = Depends(allow("steps.complete")),
) -> Response:
    """Record the model's output of a prepared step (one completion per step)."""
    gov = governor(request)
    return await create(
        request,
        caller,
        lambda: _step_out(
            gov.complete_step(
                caller.token,
                step_id,
                output=body.output,
                execution=None if body.execution is None else body.execution.model_dump(),
            )
        ),
    )


@router.get("/steps", response_model=Page[dict[str, Any]], name="steps.list")
async def list_steps(
    request: Request,
    paging: PageParams = Depends(),
    case: str | None = Query(None, max_length=128),
    caller: Caller = Depends(allow("steps.list")),
) -> dict[str, Any]:
    found = await run(
        governor(request).steps_page,
        after=paging.int_key(),
        limit=paging.limit,
        case=case,
        agent=caller.identity.id if caller.is_machine else None,
    )
    return page(found, paging.limit, lambda s: s["seq"])


@router.get("/steps/{step_id}", response_model=dict[str, Any], name="steps.show")
async def show_step(
    request: Request, step_id: str = StepId, caller: Caller = Depends(allow("steps.show"))
) -> dict[str, Any]:
    found = await run(governor(request).step, step_id)
    if caller.is_machine and found["agent"] != caller.identity.id:
        raise NotFound(f"no step {step_id}")
    return found


@router.get("/payloads/{sha256}", response_model=dict[str, Any], name="payloads.show")
async def show_payload(
    request: Request,
    sha256: str = Path(pattern=r"^[0-9a-f]{64}$"),
    caller: Caller = Depends(allow("payloads.show")),
) -> dict[str, Any]:
    """An evidence payload's exact bytes (base64), decrypted from the vault.

    Agents and integrations read only payloads of entries they recorded.
    """
    gov = governor(request)
    own = caller.identity.actor if caller.is_machine else None
    ref = await run(gov.payload_reference, sha256, actor=own)
    data = await run(gov.ledger.payload, sha256)
    return {"sha256": sha256, "entry": ref, "data_base64": base64.b64encode(data).decode()}
