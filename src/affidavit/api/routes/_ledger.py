"""The ledger: checkpoints, entries with their exact bytes, proofs, the verifier key."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse

from affidavit.api._respond import governor, run
from affidavit.api.auth import Caller, allow
from affidavit.api.pagination import Page, PageParams, page

router = APIRouter(prefix="/ledger", tags=["ledger"])
_TEXT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/plain": {"schema": {"type": "string"}}}}
}


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    responses=_TEXT,
    name="ledger.checkpoint",
)
async def checkpoint(
    request: Request,
    size: int | None = Query(None, ge=0, description="A checkpoint signed at this size"),
    caller: Caller = Depends(allow("ledger.checkpoint")),
) -> str:
    """The signed checkpoint (C2SP signed note) of the current tree, or one signed at ``size``."""
    gov = governor(request)
    if size is None:
        return await run(gov.ledger.checkpoint)
    return await run(gov.checkpoint_at, size)


@router.get(
    "/verifier-key",
    response_class=PlainTextResponse,
    responses=_TEXT,
    name="ledger.verifier_key",
)
async def verifier_key(
    request: Request, caller: Caller = Depends(allow("ledger.verifier_key"))
) -> str:
    return str(governor(request).ledger.verifier_key) + "\n"


@router.get("/entries", response_model=Page[dict[str, Any]], name="ledger.entries")
async def entries(
    request: Request,
    paging: PageParams = Depends(),
    start: int = Query(0, ge=0),
    end: int | None = Query(None, ge=0),
    caller: Caller = Depends(allow("ledger.entries")),
) -> dict[str, Any]:
    """Entries in [start, end) with their exact canonical bytes (base64) and leaf hashes."""
    after = paging.int_key()
    first = max(start, -1 if after is None else after + 1)
    last = first + paging.limit if end is None else min(end, first + paging.limit)

    def read() -> list[dict[str, Any]]:
        if last <= first:
            return []
        return [
            {
                "seq": e.seq,
                "leaf_hash": e.leaf_hash.hex(),
                "entry_base64": base64.b64encode(e.data).decode(),
                "type": e.type,
                "case": e.case,
                "actor": e.actor,
                "time": e.time,
            }
            for e in governor(request).ledger.entries(start=first, end=last)
        ]

    found = await run(read)
    return page(found, paging.limit, lambda e: e["seq"])


@router.get("/entries/{seq}/proof", response_model=dict[str, Any], name="ledger.inclusion")
async def inclusion(
    request: Request,
    seq: int = Path(ge=0),
    size: int | None = Query(None, ge=0),
    caller: Caller = Depends(allow("ledger.inclusion")),
) -> dict[str, Any]:
    """Inclusion proof of entry ``seq`` in the tree of ``size`` entries (RFC 6962)."""
    proof = await run(governor(request).ledger.inclusion_proof, seq, size)
    return {
        "seq": proof.seq,
        "size": proof.size,
        "leaf_hash": proof.leaf_hash.hex(),
        "root": proof.root.hex(),
        "proof": [h.hex() for h in proof.hashes],
    }


@router.get("/consistency", response_model=dict[str, Any], name="ledger.consistency")
async def consistency(
    request: Request,
    old: int = Query(ge=0),
    size: int | None = Query(None, ge=0),
    caller: Caller = Depends(allow("ledger.consistency")),
) -> dict[str, Any]:
    """Consistency proof from tree size ``old`` to ``size`` (RFC 6962)."""
    proof = await run(governor(request).ledger.consistency_proof, old, size)
    return {
        "old_size": proof.old_size,
        "new_size": proof.new_size,
        "old_root": proof.old_root.hex(),
        "new_root": proof.new_root.hex(),
        "proof": [h.hex() for h in proof.hashes],
    }
