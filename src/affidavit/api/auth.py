"""Bearer tokens from the identity registry, and the role check every route makes.

Nothing is cached beyond one request: the token, the identity's status and its
owner's status are read on every call (one indexed join), so suspending or
retiring an identity, or suspending an agent's owner, takes effect on the next
request on every node.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from affidavit.api.permissions import PERMISSIONS, api_roles, is_machine
from affidavit.errors import AuthError, Forbidden
from affidavit.governance.identities import Identity

__all__ = ["Caller", "allow", "bearer_token"]


@dataclass(frozen=True)
class Caller:
    identity: Identity
    roles: frozenset[str]
    token: str

    @property
    def is_machine(self) -> bool:
        """An agent or integration: sees only its own proposals, steps and payloads."""
        return is_machine(self.roles)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("use an Authorization: Bearer <token> header")
    return token.strip()


def allow(name: str) -> Callable[[Request], Awaitable[Caller]]:
    """The dependency that authenticates the caller and checks ``PERMISSIONS[name]``."""
    allowed = PERMISSIONS[name]  # KeyError at import: every route must be in the table

    async def authorize(request: Request) -> Caller:
        token = bearer_token(request)
        if token is None:
            raise AuthError("a bearer token is required (Authorization: Bearer <token>)")
        identity = await run_in_threadpool(_authenticate, request.app.state, token)
        roles = api_roles(identity)
        if not roles & allowed:
            raise Forbidden(
                f"{identity.kind} {identity.id} may not {name.replace('.', ' ')} "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
        caller = Caller(identity, roles, token)
        request.state.caller = caller
        return caller

    authorize.permission = name  # type: ignore[attr-defined]
    return authorize


def _authenticate(state: Any, token: str) -> Identity:
    """The caller's identity, counted against its rate limit: one trip to the thread pool."""
    identity: Identity = state.governor.caller(token)
    state.limiter.check(identity.id)
    return identity
