"""The console's state (sessions in the database) and who is looking: one ``Console`` per app.

Every page request re-authenticates the session's identity token through the
Governor (the same check as every API call), so a suspended person, a retired
identity or a rotated token ends the session on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from affidavit.api.permissions import PERMISSIONS, api_roles
from affidavit.errors import AuthError
from affidavit.governance.governor import Governor
from affidavit.governance.identities import Identity
from affidavit.web.queue_index import QueueIndex
from affidavit.web.sessions import Session, SessionStore
from affidavit.web.settings import WebSettings

__all__ = [
    "COOKIE",
    "LOGIN_COOKIE",
    "Console",
    "Viewer",
    "authenticate",
    "console",
    "current_viewer",
]

COOKIE = "afd_console"
LOGIN_COOKIE = "afd_login"
COOKIE_KEY_LABEL = "affidavit-console-cookie-secret"

# (label, path, the role-table entry that grants the page)
NAVIGATION = (
    ("Approval queue", "/console/queue", "proposals.list"),
    ("Cases", "/console/cases", "cases.list"),
    ("Health", "/console/health", "reviews.list"),
    ("Identities", "/console/identities", "identities.list"),
    ("Policy", "/console/policy", "policy.show"),
    ("Ledger", "/console/ledger", "ledger.entries"),
)


class Console:
    def __init__(self, governor: Governor, settings: WebSettings) -> None:
        self.gov = governor
        self.settings = settings
        # Unset, the cookie secret comes from the vault key in AFFIDAVIT_HOME: the same in
        # every worker and every server sharing the home, so any of them accepts the cookie.
        secret = settings.secret or governor.ledger.vault.kek.derive_key(COOKIE_KEY_LABEL).hex()
        self.sessions = SessionStore(
            governor.ledger.db,
            governor.ledger.vault,
            secret,
            ttl_s=settings.session_ttl_s,
            idle_s=settings.idle_s,
            max_sessions=settings.max_sessions,
        )
        self.queue = QueueIndex(governor)

    def now(self) -> datetime:
        return self.gov.clock()


@dataclass(frozen=True)
class Viewer:
    """A signed-in person, re-authenticated for this request."""

    identity: Identity
    roles: frozenset[str]
    session: Session

    @property
    def id(self) -> str:
        return self.identity.id

    def may(self, permission: str) -> bool:
        return bool(self.roles & PERMISSIONS[permission])

    def navigation(self) -> list[tuple[str, str]]:
        return [(label, path) for label, path, need in NAVIGATION if self.may(need)]


def console(request: Request) -> Console:
    found: Console = request.app.state.console
    return found


async def current_viewer(request: Request) -> Viewer:
    """The dependency of every signed-in page: AuthError sends the browser to the login page."""
    return await authenticate(request, touch=True)


async def authenticate(request: Request, *, touch: bool) -> Viewer:
    """The session's person, re-authenticated now; ``touch=False`` for background re-checks
    (an open event stream does not keep an idle session alive)."""
    state = console(request)
    sid = state.sessions.session_id(request.cookies.get(COOKIE))
    session = await run_in_threadpool(state.sessions.get, sid, state.now(), touch=touch)
    if session is None:
        raise AuthError("sign in to continue")
    try:
        identity = await run_in_threadpool(state.gov.caller, session.token)
    except AuthError:
        await run_in_threadpool(state.sessions.drop, session.id)
        raise
    if not identity.is_human:  # cannot happen through login; kept as a guard
        await run_in_threadpool(state.sessions.drop, session.id)
        raise AuthError("only people use the console")
    viewer = Viewer(identity, api_roles(identity), session)
    request.state.viewer = viewer
    return viewer
