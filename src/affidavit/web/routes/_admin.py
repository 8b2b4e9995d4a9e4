"""Identities (with suspend, reactivate, rotate and ownership transfer for admins), policy
bundles (history and
diffs, expected-decision tests), and the ledger (checkpoint, entries with inclusion proofs,
a full verification)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from affidavit.errors import AffidavitError, Forbidden, InputError
from affidavit.web._http import ConsoleRoute, check_csrf, form, page, redirect
from affidavit.web.console import Viewer, console, current_viewer

router = APIRouter(route_class=ConsoleRoute)

IdentityId = Path(min_length=1, max_length=128, pattern=r"^[a-z0-9][a-z0-9._@-]*$")
Hash = Query(None, pattern=r"^[0-9a-f]{64}$")
_LIST = 1000


def _need(viewer: Viewer, permission: str, what: str) -> None:
    if not viewer.may(permission):
        raise Forbidden(f"your roles do not include {what}")


# -- identities ------------------------------------------------------------------


async def _identities(
    request: Request, viewer: Viewer, status: int = 200, **extra: Any
) -> Response:
    gov = console(request).gov
    found = await run_in_threadpool(gov.identities_page, after=None, limit=_LIST)
    token_expiries = await run_in_threadpool(gov.token_expiries)
    people = [i for i in found if i.is_human]
    machines = [i for i in found if not i.is_human]
    return page(
        request,
        "identities.html",
        status=status,
        people=people,
        machines=machines,
        owners=[i.id for i in people if i.status == "active"],
        token_expiries=token_expiries,
        admin=viewer.may("identities.status"),
        may_transfer=viewer.may("identities.transfer"),
        **extra,
    )


@router.get("/identities", name="console.identities")
async def identities(request: Request, viewer: Viewer = Depends(current_viewer)) -> Response:
    _need(viewer, "identities.list", "the identity registry")
    return await _identities(request, viewer)


@router.post("/identities/{identity_id}/owner", name="console.identity_owner")
async def transfer_identity(
    request: Request, identity_id: str = IdentityId, viewer: Viewer = Depends(current_viewer)
) -> Response:
    """Give an agent, model or integration a new accountable owner (ledgered under the
    signed-in admin); the Governor refuses a non-person, inactive or unchanged owner.
    Registered before ``{change}``, which would otherwise take the path."""
    fields = await form(request)
    check_csrf(request, fields, viewer.session.csrf)
    _need(viewer, "identities.transfer", "transferring ownership")
    owner = fields.get("owner", "")
    if not owner or len(owner) > 128:
        raise InputError("choose the new owner from the list")
    gov = console(request).gov
    refused = await _refused(
        request,
        viewer,
        lambda: gov.transfer_identity(identity_id, owner, token=viewer.session.token),
    )
    if refused is not None:
        return refused
    return await _identities(request, viewer, notice=f"{identity_id} is now owned by {owner}.")


@router.post("/identities/{identity_id}/{change}", name="console.identity_change")
async def change_identity(
    request: Request,
    identity_id: str = IdentityId,
    change: str = Path(pattern=r"^(suspend|reactivate|rotate)$"),
    viewer: Viewer = Depends(current_viewer),
) -> Response:
    fields = await form(request)
    check_csrf(request, fields, viewer.session.csrf)
    _need(viewer, "identities.status", "administering identities")
    gov = console(request).gov
    if change == "rotate":
        issued: list[tuple[str, str]] = []
        refused = await _refused(
            request,
            viewer,
            lambda: issued.append(gov.rotate_token(identity_id, token=viewer.session.token)),
        )
        if refused is not None:
            return refused
        token, expires = issued[0]
        return await _identities(
            request,
            viewer,
            issued=(identity_id, token, expires),
            notice=f"{identity_id}'s tokens were revoked; the new one is shown once.",
        )
    status = "suspended" if change == "suspend" else "active"
    refused = await _refused(
        request,
        viewer,
        lambda: gov.set_identity_status(identity_id, status, token=viewer.session.token),
    )
    return refused if refused is not None else redirect("/console/identities")


async def _refused(request: Request, viewer: Viewer, act: Callable[[], object]) -> Response | None:
    """Run an administrative act; the identities page with the reason when the Governor
    refuses it (a 4xx), None when it was done."""
    try:
        await run_in_threadpool(act)
    except AffidavitError as exc:
        if exc.http_status >= 500:
            raise
        return await _identities(request, viewer, status=exc.http_status, error=exc.message)
    return None


# -- policy ---------------------------------------------------------------------------


def _diff(old: str, new: str, old_name: str, new_name: str) -> list[tuple[str, str]]:
    kinds = {"+": "add", "-": "del", "@": "hunk"}
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=3
    )
    return [(kinds.get(line[:1], "ctx"), line) for line in lines]


def _default_cases() -> str:
    return (resources.files("affidavit.policy") / "default_tests.yaml").read_text()


def policy_context(
    request: Request, bundle: str | None, a: str | None, b: str | None
) -> dict[str, Any]:
    gov = console(request).gov
    active_hash, active_text = gov.active_policy()
    history = gov.policy_history(after=None, limit=_LIST)
    shown_hash, shown_text = active_hash, active_text
    if bundle and bundle != active_hash:
        shown_hash, shown_text = bundle, gov.policy_bundle(bundle)
    diff = None
    if a and b:
        diff = _diff(gov.policy_bundle(a), gov.policy_bundle(b), a[:12], b[:12])
    elif len(history) >= 2 and not bundle:
        prev, last = history[-2]["bundle_hash"], history[-1]["bundle_hash"]
        a, b = prev, last
        diff = _diff(gov.policy_bundle(prev), gov.policy_bundle(last), prev[:12], last[:12])
    return {
        "active_hash": active_hash,
        "shown_hash": shown_hash,
        "shown_text": shown_text,
        "history": list(reversed(history)),
        "diff": diff,
        "a": a,
        "b": b,
    }


@router.get("/policy", name="console.policy")
async def policy(
    request: Request,
    bundle: str | None = Hash,
    a: str | None = Query(None, pattern=r"^[0-9a-f]{64}$"),
    b: str | None = Query(None, pattern=r"^[0-9a-f]{64}$"),
    viewer: Viewer = Depends(current_viewer),
) -> Response:
    _need(viewer, "policy.show", "reading policy")
    context = await run_in_threadpool(policy_context, request, bundle, a, b)
    return page(
        request,
        "policy.html",
        cases=_default_cases(),
        may_test=viewer.may("policy.test"),
        **context,
    )


@router.post("/policy/test", name="console.policy_test")
async def policy_test(request: Request, viewer: Viewer = Depends(current_viewer)) -> Response:
    """Run expected-decision cases against the active bundle; changes nothing."""
    fields = await form(request)
    check_csrf(request, fields, viewer.session.csrf)
    _need(viewer, "policy.test", "running policy tests")
    gov = console(request).gov
    cases = fields.get("cases", "")
    context = await run_in_threadpool(policy_context, request, None, None, None)
    try:
        if not cases.strip():
            raise InputError("paste the cases to run (YAML)")
        results = await run_in_threadpool(gov.test_policy_text, cases, None)
    except AffidavitError as exc:
        if exc.http_status >= 500:
            raise
        return page(
            request,
            "policy.html",
            status=exc.http_status,
            cases=cases,
            may_test=True,
            test_error=exc.message,
            **context,
        )
    return page(request, "policy.html", cases=cases, may_test=True, results=results, **context)


# -- ledger -----------------------------------------------------------------------------


def _ledger_context(request: Request) -> dict[str, Any]:
    gov = console(request).gov
    note = gov.ledger.latest_checkpoint()
    return {
        "size": gov.ledger.size(),
        "checkpoint": note,
        "verifier_key": str(gov.ledger.verifier_key),
        "recent": list(gov.ledger.entries(start=max(0, gov.ledger.size() - 20))),
    }


@router.get("/ledger", name="console.ledger")
async def ledger(request: Request, viewer: Viewer = Depends(current_viewer)) -> Response:
    _need(viewer, "ledger.entries", "reading the ledger")
    context = await run_in_threadpool(_ledger_context, request)
    return page(request, "ledger.html", **context)


@router.post("/ledger/verify", name="console.ledger_verify")
async def verify(request: Request, viewer: Viewer = Depends(current_viewer)) -> Response:
    """Recompute every leaf and node, check every signed checkpoint and payload digest."""
    fields = await form(request)
    check_csrf(request, fields, viewer.session.csrf)
    _need(viewer, "ledger.entries", "reading the ledger")
    gov = console(request).gov
    try:
        report = await run_in_threadpool(gov.ledger.verify)
        outcome: dict[str, Any] = {"ok": True, "report": report, "root": report.root.hex()}
    except AffidavitError as exc:
        if exc.http_status >= 500 and exc.http_status != 503:
            raise
        outcome = {"ok": False, "message": exc.message}
    context = await run_in_threadpool(_ledger_context, request)
    return page(request, "ledger.html", verified=outcome, **context)


_SEQ_MAX = 10**15


@router.get("/ledger/entries/{seq}", name="console.entry")
async def entry(
    request: Request, seq: int = Path(ge=0, le=_SEQ_MAX), viewer: Viewer = Depends(current_viewer)
) -> Response:
    _need(viewer, "ledger.entries", "reading the ledger")
    gov = console(request).gov

    def read() -> dict[str, Any]:
        stored = gov.ledger.entry(seq)
        proof = gov.ledger.inclusion_proof(seq)
        return {
            "stored": stored,
            "pretty": json.dumps(stored.json(), indent=2, ensure_ascii=False),
            "proof": proof,
        }

    context = await run_in_threadpool(read)
    return page(request, "entry.html", seq=seq, **context)
