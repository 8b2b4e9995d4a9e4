"""Who performs an administrative act: never anonymous, never free text.

An administrative act (identities and their tokens, assets, policy, legal holds,
erasure, retention) is ledgered with its operator as actor:

- the admin identity whose token is given (``human:olivia``): a person holding the
  ``admin`` role, active, authenticated like any other call; or
- without a token, the operating-system account running the process and its host
  (``local:USER@HOST``): whoever runs the local CLI already holds the database and
  its keys, and the OS names them. The user is the effective uid's account name
  (not ``$USER``, which the caller sets).

Nothing else can be named: there is no parameter taking an actor's name as text.
"""

from __future__ import annotations

import os
import re
import socket
from datetime import datetime

from sqlalchemy import Connection

from affidavit.errors import AuthError
from affidavit.governance import identities

__all__ = ["LOCAL_PREFIX", "local_operator", "recheck", "resolve"]

LOCAL_PREFIX = "local:"
_UNSAFE = re.compile(r"[^A-Za-z0-9._+=-]")


def _os_user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, OSError):  # no passwd entry (a container's bare uid)
        return f"uid{os.geteuid()}" if hasattr(os, "geteuid") else "unknown"


def local_operator() -> str:
    """``local:USER@HOST`` for this process (characters outside ledger actor names -> ``_``)."""
    user = _UNSAFE.sub("_", _os_user())[:64] or "unknown"
    host = _UNSAFE.sub("_", socket.gethostname())[:120] or "localhost"
    return f"{LOCAL_PREFIX}{user}@{host}"


def _require_admin(who: identities.Identity) -> None:
    if not who.is_human or "admin" not in who.roles:
        raise AuthError(f"{who.kind} {who.id} lacks the admin role: administration needs it")


def resolve(conn: Connection, token: str | None, *, now: datetime, key: bytes, local: str) -> str:
    """The actor of an administrative act: the admin whose ``token`` it is, else ``local``."""
    if not token:
        return local
    who = identities.authenticate(conn, token, now, key)
    _require_admin(who)
    return who.actor


def recheck(conn: Connection, actor: str, now: datetime) -> None:
    """Inside the write: an admin named by token is still active and still an admin
    (suspended between authentication and the write, the act is refused)."""
    if actor.startswith(LOCAL_PREFIX):
        return
    who = identities.load(conn, actor.split(":", 1)[1])
    identities.require_active(who, now)
    _require_admin(who)
