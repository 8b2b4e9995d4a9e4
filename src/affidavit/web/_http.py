"""HTML over HTTP for the console: rendering, forms, CSRF, security headers, and errors
as pages (the API's errors stay JSON)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape

from affidavit.errors import AffidavitError, AuthError, Forbidden, InputError
from affidavit.web import _format
from affidavit.web.console import COOKIE, Viewer, console

__all__ = ["ConsoleRoute", "check_csrf", "form", "page", "redirect", "set_cookie"]

TEMPLATES = Environment(
    loader=PackageLoader("affidavit.web", "templates"),
    autoescape=select_autoescape(("html",)),
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters["duration"] = _format.duration
TEMPLATES.filters["when"] = _format.short_time

# Scripts only from our origin (no inline script: data rides in JSON blocks);
# inline styles are allowed because the chart library sets them.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    html = TEMPLATES.get_template(template).render(
        viewer=viewer,
        nav=viewer.navigation() if viewer else [],
        path=request.url.path,
        csrf=viewer.session.csrf if viewer else "",
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})


def secure(request: Request) -> bool:
    mode = console(request).settings.secure_cookies
    return mode == "true" or (mode == "auto" and request.url.scheme == "https")


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/console",
        secure=secure(request),
        httponly=True,
        samesite="strict",
    )


async def form(request: Request) -> dict[str, str]:
    """An urlencoded form body (the only kind the console posts), size-limited; any other
    body reads as no fields, so it fails the CSRF check (403) like a forged post."""
    limit = console(request).settings.max_form_bytes
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return {}
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise InputError(f"the form is larger than {limit} bytes")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise InputError("the form could not be read") from None
    return dict(pairs)


def same_origin(request: Request) -> bool:
    """A browser's Origin (or Referer) must name this host; absent headers pass (CSRF token
    still required)."""
    host = request.headers.get("host", "")
    for header in ("origin", "referer"):
        value = request.headers.get(header)
        if value:
            return value != "null" and urlsplit(value).netloc == host
    return True


def check_csrf(request: Request, fields: dict[str, str], expected: str) -> None:
    """The synchronizer token of this session must come with every POST."""
    given = fields.get("csrf_token") or request.headers.get("x-csrf-token") or ""
    if not same_origin(request) or not given or not hmac.compare_digest(given, expected):
        raise Forbidden("the form's security token is missing or stale: reload the page and retry")


_STATUS_TITLES = {
    400: "Invalid input",
    401: "Signed out",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Too large",
    422: "Verification failed",
    429: "Slow down",
}


def _error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return page(
        request,
        "error.html",
        status=status,
        title=_STATUS_TITLES.get(status, "Error"),
        message=message,
    )


class ConsoleRoute(APIRoute):
    """Errors on console routes become pages; a signed-out browser goes to the login page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except AuthError as exc:
                accepts_html = "text/html" in request.headers.get("accept", "")
                if request.method == "GET" and accepts_html:
                    target = request.url.path
                    if request.url.query:
                        target += "?" + request.url.query
                    response = redirect(f"/console/login?next={quote(target, safe='')}")
                    response.delete_cookie(COOKIE, path="/console")
                    return response
                return _error_page(request, 401, exc.message)
            except AffidavitError as exc:
                if exc.http_status >= 500:
                    raise
                return _error_page(request, exc.http_status, exc.message)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid"}
                where = ".".join(str(p) for p in first.get("loc", ()))
                return _error_page(request, 400, f"{where}: {first.get('msg', 'invalid')}")

        return guarded
