"""Sign in with an identity token, sign out. People only: agents and integrations use the API."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from affidavit.errors import AuthError, Forbidden
from affidavit.web._http import ConsoleRoute, check_csrf, form, page, redirect, set_cookie
from affidavit.web.console import COOKIE, LOGIN_COOKIE, Viewer, console, current_viewer

router = APIRouter(route_class=ConsoleRoute)
_LOGIN_FORM_S = 3600


def _next(target: str | None) -> str:
    """Only a path inside the console: never another site (open redirect)."""
    if target and target.startswith("/console/") and "//" not in target and "\\" not in target:
        return target
    return "/console/queue"


def _login_page(request: Request, status: int = 200, error: str | None = None) -> Response:
    state = console(request)
    nonce = secrets.token_urlsafe(24)
    response = page(
        request,
        "login.html",
        status=status,
        login_csrf=state.sessions.mac("login", nonce),
        next=_next(request.query_params.get("next")),
        error=error,
    )
    set_cookie(request, response, LOGIN_COOKIE, nonce, _LOGIN_FORM_S)
    return response


@router.get("/login", name="console.login")
async def login_form(request: Request) -> Response:
    state = console(request)
    sid = state.sessions.session_id(request.cookies.get(COOKIE))
    if await run_in_threadpool(state.sessions.get, sid, state.now()) is not None:
        return redirect("/console/queue")
    return _login_page(request)


@router.post("/login", name="console.login_submit")
async def login(request: Request) -> Response:
    state = console(request)
    fields = await form(request)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    expected = state.sessions.mac("login", nonce) if nonce else ""
    given = fields.get("csrf_token", "")
    if not expected or not given or not hmac.compare_digest(given, expected):
        raise Forbidden("the sign-in form expired or did not come from this console: reload it")
    token = fields.get("token", "").strip()
    try:
        identity = await run_in_threadpool(state.gov.caller, token)
    except AuthError:
        # Never say which part failed, nor echo what was typed.
        return _login_page(request, 401, "That token was not accepted.")
    if not identity.is_human:
        return _login_page(
            request,
            403,
            f"{identity.kind.capitalize()} tokens cannot sign in: the console is for people. "
            "Agents and integrations use the API.",
        )
    session = await run_in_threadpool(state.sessions.create, identity.id, token, state.now())
    response = redirect(_next(fields.get("next")))
    set_cookie(
        request,
        response,
        COOKIE,
        state.sessions.cookie_value(session),
        int(state.settings.session_ttl_s),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/console")
    return response


@router.post("/logout", name="console.logout")
async def logout(request: Request, viewer: Viewer = Depends(current_viewer)) -> Response:
    check_csrf(request, await form(request), viewer.session.csrf)
    await run_in_threadpool(console(request).sessions.drop, viewer.session.id)
    response = redirect("/console/login")
    response.delete_cookie(COOKIE, path="/console")
    return response
