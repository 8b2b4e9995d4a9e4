"""Administration: identities, assets, policy bundles; and who am I, and detokenize."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Path, Request, Response

from affidavit.api._respond import create, governor, run
from affidavit.api.auth import Caller, allow
from affidavit.api.models import (
    AssetsIn,
    DetokenizeIn,
    IdentityIn,
    IdentityOut,
    PolicyIn,
    PolicyTestIn,
    StatusIn,
)
from affidavit.api.pagination import Page, PageParams, page
from affidavit.governance.identities import Identity

router = APIRouter(tags=["administration"])

IdentityId = Path(min_length=1, max_length=128, pattern=r"^[a-z0-9][a-z0-9._@-]*$")
BundleHash = Path(pattern=r"^[0-9a-f]{64}$")


@router.get("/me", response_model=dict[str, Any], name="me")
async def me(caller: Caller = Depends(allow("me"))) -> dict[str, Any]:
    """The calling identity and its API roles."""
    return {"identity": caller.identity.to_dict(), "api_roles": sorted(caller.roles)}


@router.get("/identities", response_model=Page[IdentityOut], name="identities.list")
async def list_identities(
    request: Request,
    paging: PageParams = Depends(),
    caller: Caller = Depends(allow("identities.list")),
) -> dict[str, Any]:
    found = await run(governor(request).identities_page, after=paging.str_key(), limit=paging.limit)
    return page([i.to_dict() for i in found], paging.limit, lambda i: i["id"])


@router.get("/identities/{identity_id}", response_model=IdentityOut, name="identities.show")
async def show_identity(
    request: Request,
    identity_id: str = IdentityId,
    caller: Caller = Depends(allow("identities.show")),
) -> dict[str, Any]:
    return (await run(governor(request).identity, identity_id)).to_dict()


@router.post(
    "/identities", status_code=201, response_model=dict[str, Any], name="identities.create"
)
async def create_identity(
    body: IdentityIn, request: Request, caller: Caller = Depends(allow("identities.create"))
) -> Response:
    """Create an identity; the response holds its token, shown once."""
    gov = governor(request)

    def fn() -> dict[str, Any]:
        identity = Identity(
            id=body.id,
            kind=body.kind,
            roles=tuple(body.roles),
            owner=body.owner,
            scopes=tuple(body.scopes),
            data_classes=tuple(body.data_classes),
            models=tuple(body.models),
            expires_at=body.expires_at,
        )
        created, token = gov.add_identity(identity, token=caller.token)
        return {"identity": created.to_dict(), "token": token}

    return await create(request, caller, fn)


@router.post(
    "/identities/{identity_id}/status", response_model=IdentityOut, name="identities.status"
)
async def set_status(
    body: StatusIn,
    request: Request,
    identity_id: str = IdentityId,
    caller: Caller = Depends(allow("identities.status")),
) -> Response:
    """Suspend, reactivate or retire; takes effect on the identity's next request."""
    gov = governor(request)
    return await create(
        request,
        caller,
        lambda: gov.set_identity_status(identity_id, body.status, token=caller.token).to_dict(),
        status=200,
    )


@router.post(
    "/identities/{identity_id}/rotate", response_model=dict[str, Any], name="identities.rotate"
)
async def rotate(
    request: Request,
    identity_id: str = IdentityId,
    caller: Caller = Depends(allow("identities.rotate")),
) -> Response:
    """Revoke the identity's tokens and issue a new one (shown once)."""
    gov = governor(request)

    def fn() -> dict[str, Any]:
        token, expires = gov.rotate_token(identity_id, token=caller.token)
        return {"identity": identity_id, "token": token, "expires_at": expires}

    return await create(request, caller, fn, status=200)


@router.get("/assets", response_model=Page[dict[str, Any]], name="assets.list")
async def list_assets(
    request: Request, paging: PageParams = Depends(), caller: Caller = Depends(allow("assets.list"))
) -> dict[str, Any]:
    key = paging.str_key()
    after = None if key is None else tuple(key.split("\x00", 1))
    if after is not None and len(after) != 2:
        after = (after[0], "")
    found = await run(governor(request).assets_page, after=after, limit=paging.limit)
    return page(found, paging.limit, lambda a: f"{a['kind']}\x00{a['id']}")


@router.post("/assets", status_code=201, response_model=dict[str, int], name="assets.import")
async def import_assets(
    body: AssetsIn, request: Request, caller: Caller = Depends(allow("assets.import"))
) -> Response:
    """Insert or replace assets (policy context); one ledger entry lists them."""
    gov = governor(request)
    # A JSON array is YAML: the same parser and checks as `affidavit assets import`.
    text = json.dumps([a.model_dump() for a in body.assets])
    return await create(
        request,
        caller,
        lambda: {
            "imported": gov.import_assets_text(
                text, "yaml", f"api:{caller.identity.id}", token=caller.token
            )
        },
    )


@router.get("/policy", response_model=dict[str, str], name="policy.show")
async def show_policy(
    request: Request, caller: Caller = Depends(allow("policy.show"))
) -> dict[str, str]:
    """The active bundle (the shipped default until one is published)."""
    digest, text = await run(governor(request).active_policy)
    return {"bundle_hash": digest, "text": text}


@router.get("/policy/bundles", response_model=Page[dict[str, Any]], name="policy.history")
async def policy_history(
    request: Request,
    paging: PageParams = Depends(),
    caller: Caller = Depends(allow("policy.history")),
) -> dict[str, Any]:
    """Every published bundle, oldest first (the last is active)."""
    found = await run(governor(request).policy_history, after=paging.int_key(), limit=paging.limit)
    return page(found, paging.limit, lambda b: b["published_seq"])


@router.get("/policy/bundles/{bundle_hash}", response_model=dict[str, str], name="policy.bundle")
async def policy_bundle(
    request: Request,
    bundle_hash: str = BundleHash,
    caller: Caller = Depends(allow("policy.bundle")),
) -> dict[str, str]:
    text = await run(governor(request).policy_bundle, bundle_hash)
    return {"bundle_hash": bundle_hash, "text": text}


@router.post("/policy", status_code=201, response_model=dict[str, str], name="policy.publish")
async def publish_policy(
    body: PolicyIn, request: Request, caller: Caller = Depends(allow("policy.publish"))
) -> Response:
    """Validate a Cedar bundle against the schema and make it the active policy."""
    gov = governor(request)
    return await create(
        request,
        caller,
        lambda: {"bundle_hash": gov.publish_policy(body.text, token=caller.token)},
    )


@router.post("/policy/test", response_model=dict[str, Any], name="policy.test")
async def run_policy_cases(
    body: PolicyTestIn, request: Request, caller: Caller = Depends(allow("policy.test"))
) -> dict[str, Any]:
    """Run expected-decision cases (YAML) against the active bundle or a given one;
    changes nothing."""
    results = await run(governor(request).test_policy_text, body.cases, body.bundle)
    return {
        "passed": sum(r.passed for r in results),
        "failed": sum(not r.passed for r in results),
        "results": [
            {
                "name": r.name,
                "passed": r.passed,
                "failures": list(r.failures),
                "effect": None if r.decision is None else r.decision.effect,
                "refusal": r.refusal,
            }
            for r in results
        ],
    }


@router.post("/detokenize", response_model=dict[str, str], name="detokenize")
async def detokenize(
    body: DetokenizeIn, request: Request, caller: Caller = Depends(allow("detokenize"))
) -> dict[str, str]:
    """Reveal the original behind a token (the detokenize role; ledgered, never the value)."""
    value = await run(
        governor(request).detokenize, caller.token, body.token, reason=body.reason, case=body.case
    )
    return {"token": body.token, "value": value}
