"""Identities: people with roles; agents, models and integrations with an owner.

Tokens are random, shown once, stored only as SHA-256, expiring, revocable
and rotatable. A suspended, retired or expired identity, or a revoked or
expired token, is refused. Every change is a ledger entry; no token value is
ever ledgered.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from affidavit.errors import AuthError, Conflict, InputError, NotFound
from affidavit.governance import _tables as t
from affidavit.governance._common import check_name, from_json, iso, later, parse_iso
from affidavit.governance.events import (
    IdentityCreated,
    IdentityOwnerTransferred,
    IdentityReactivated,
    IdentityRetired,
    IdentityStatusChanged,
    IdentitySuspended,
    TokenRotated,
)
from affidavit.ledger.batch import Batch
from affidavit.policy import Principal

__all__ = ["KINDS", "Identity", "hash_token", "new_token"]

KINDS = ("human", "agent", "model", "integration")
HUMAN_ROLES_PATTERN = (
    "analyst, auditor, admin, breakglass, detokenize, dataset_export, approver:<name>"
)
_BASE_ROLES = {"analyst", "auditor", "admin", "breakglass", "detokenize", "dataset_export"}
TOKEN_PREFIX = "afd_"  # noqa: S105 - a prefix, not a secret


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str, key: bytes) -> str:
    """Keyed with ``token.key`` (beside the other keys, never in the database), so a
    token row planted in the database does not authenticate."""
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Identity:
    id: str
    kind: str
    roles: tuple[str, ...] = ()
    owner: str | None = None
    scopes: tuple[str, ...] = ()
    data_classes: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    status: str = "active"
    expires_at: str | None = None

    def __post_init__(self) -> None:
        check_name(self.id, "identity name")
        if self.kind not in KINDS:
            raise InputError(f"identity kind must be one of {', '.join(KINDS)}")
        for role in self.roles:
            if role not in _BASE_ROLES and not (
                role.startswith("approver:")
                and len(role) > 9
                and role[9:].replace("_", "a").isalnum()
            ):
                raise InputError(f"unknown role {role!r}: roles are {HUMAN_ROLES_PATTERN}")
        if self.expires_at is not None:
            # Expiry is compared as text: only the ledger's own format sorts like time.
            try:
                parse_iso(self.expires_at)
            except (TypeError, ValueError):
                raise InputError(
                    f"expiry {self.expires_at!r} is not a UTC time like 2027-01-31T00:00:00.000000Z"
                ) from None
        if self.is_human:
            if self.scopes or self.owner:
                raise InputError("people have roles; scopes and an owner belong to agents")
        else:
            if self.roles:
                raise InputError(f"a {self.kind} has scopes, not roles (it can never approve)")
            if not self.owner:
                raise InputError(f"a {self.kind} needs an accountable human owner (--owner)")
            check_name(self.owner, "owner")

    @property
    def is_human(self) -> bool:
        return self.kind == "human"

    @property
    def actor(self) -> str:
        """How the ledger names this identity."""
        return f"{self.kind}:{self.id}"

    def principal(self) -> Principal:
        return Principal(
            id=self.id,
            kind=self.kind,  # type: ignore[arg-type]
            owner=self.owner or "",
            roles=self.roles,
            scopes=self.scopes,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "roles": list(self.roles),
            "owner": self.owner,
            "scopes": list(self.scopes),
            "data_classes": list(self.data_classes),
            "models": list(self.models),
            "status": self.status,
            "expires_at": self.expires_at,
        }


def _row_to_identity(row: Any) -> Identity:
    return Identity(
        id=row.id,
        kind=row.kind,
        roles=tuple(from_json(row.roles)),
        owner=row.owner,
        scopes=tuple(from_json(row.scopes)),
        data_classes=tuple(from_json(row.data_classes)),
        models=tuple(from_json(row.models)),
        status=row.status,
        expires_at=row.expires_at,
    )


def load(conn: Connection, identity_id: str) -> Identity:
    row = conn.execute(select(t.identities).where(t.identities.c.id == identity_id)).first()
    if row is None:
        raise NotFound(f"no identity named {identity_id!r}")
    return _row_to_identity(row)


def list_all(conn: Connection) -> list[Identity]:
    rows = conn.execute(select(t.identities).order_by(t.identities.c.id))
    return [_row_to_identity(r) for r in rows]


def require_active(identity: Identity, now: datetime) -> Identity:
    if identity.status != "active":
        raise AuthError(f"identity {identity.id} is {identity.status}")
    if identity.expires_at is not None and identity.expires_at <= iso(now):
        raise AuthError(f"identity {identity.id} expired at {identity.expires_at}")
    return identity


def _owner_active(status: str | None, kind: str | None, expires_at: str | None, now: str) -> bool:
    return status == "active" and kind == "human" and (expires_at is None or expires_at > now)


def _orphaned(identity: Identity) -> AuthError:
    return AuthError(
        f"{identity.kind} {identity.id} has no active owner ({identity.owner}); "
        f"transfer it: affidavit identity transfer {identity.id} --owner PERSON"
    )


def require_accountable(conn: Connection, identity: Identity, now: datetime) -> Identity:
    """Active, and for a non-human also its owner: ownership fails closed (an agent whose
    owner is suspended, retired or expired acts for nobody until transferred)."""
    require_active(identity, now)
    if not identity.is_human:
        row = conn.execute(_OWNER_QUERY, {"id": identity.owner or ""}).first()
        if row is None or not _owner_active(row.status, row.kind, row.expires_at, iso(now)):
            raise _orphaned(identity)
    return identity


def authenticate(conn: Connection, token: str, now: datetime, key: bytes) -> Identity:
    """The active identity holding ``token``; AuthError otherwise (never says which part failed
    for an unknown token, to give a guesser nothing)."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise AuthError("invalid token")
    row = conn.execute(_TOKEN_QUERY, {"h": hash_token(token, key)}).first()
    if row is None:
        raise AuthError("invalid token")
    if row.revoked_at is not None:
        raise AuthError("this token was revoked (rotated); use the new one")
    if row.token_expires_at <= iso(now):
        raise AuthError(f"this token expired at {row.token_expires_at}; rotate it")
    identity = require_active(_row_to_identity(row), now)
    if not identity.is_human and not _owner_active(
        row.owner_status, row.owner_kind, row.owner_expires_at, iso(now)
    ):
        raise _orphaned(identity)
    return identity


# One indexed query per request (the owner joined in): authentication is on every
# call's path. Built once, like the owner query that runs inside writes.
_OWNER = t.identities.alias("owner_identity")
_TOKEN_QUERY = (
    select(
        t.identities,
        t.tokens.c.revoked_at,
        t.tokens.c.expires_at.label("token_expires_at"),
        _OWNER.c.status.label("owner_status"),
        _OWNER.c.kind.label("owner_kind"),
        _OWNER.c.expires_at.label("owner_expires_at"),
    )
    .join(t.tokens, t.tokens.c.identity_id == t.identities.c.id)
    .outerjoin(_OWNER, _OWNER.c.id == t.identities.c.owner)
    .where(t.tokens.c.token_hash == bindparam("h"))
)
_OWNER_QUERY = select(t.identities.c.status, t.identities.c.kind, t.identities.c.expires_at).where(
    t.identities.c.id == bindparam("id")
)


def _check_owner(conn: Connection, owner_id: str, now: datetime) -> None:
    owner = load(conn, owner_id)
    expired = owner.expires_at is not None and owner.expires_at <= iso(now)
    if not owner.is_human or owner.status != "active" or expired:
        raise InputError(f"owner {owner.id} must be an active, unexpired person")


def create(
    batch: Batch,
    identity: Identity,
    token: str,
    token_ttl_s: float,
    now: datetime,
    key: bytes,
    *,
    actor: str,
) -> None:
    conn = batch.conn
    if conn.execute(select(t.identities.c.id).where(t.identities.c.id == identity.id)).first():
        raise Conflict(f"identity {identity.id} already exists")
    if identity.expires_at is not None and identity.expires_at <= iso(now):
        raise InputError(
            f"identity {identity.id} would be created already expired ({identity.expires_at})"
        )
    if not identity.is_human:
        _check_owner(conn, identity.owner or "", now)
    expires = later(now, token_ttl_s)
    batch.emit(
        IdentityCreated(
            actor=actor,
            id=identity.id,
            kind=identity.kind,
            roles=identity.roles,
            owner=identity.owner,
            scopes=identity.scopes,
            data_classes=identity.data_classes,
            models=identity.models,
            status="active",  # every identity starts active
            expires_at=identity.expires_at,
            token_expires_at=expires,
        )
    )
    _issue_token(conn, identity.id, token, expires, now, key)


_STATUS_EVENTS: dict[str, type[IdentityStatusChanged]] = {
    e.status: e for e in (IdentitySuspended, IdentityReactivated, IdentityRetired)
}


def set_status(
    batch: Batch, identity_id: str, status: str, now: datetime, *, actor: str
) -> Identity:
    current = load(batch.conn, identity_id)
    if current.status == "retired":
        raise Conflict(f"identity {identity_id} is retired; retirement is final")
    if current.status == status:
        raise Conflict(f"identity {identity_id} is already {status}")
    event = _STATUS_EVENTS[status]
    batch.emit(event(actor=actor, identity=identity_id, previous_status=current.status))
    if status == "retired":
        _revoke_all(batch.conn, identity_id, now)
    return dataclasses.replace(current, status=status)


def rotate(
    batch: Batch,
    identity_id: str,
    token: str,
    ttl_s: float,
    now: datetime,
    key: bytes,
    *,
    actor: str,
) -> str:
    identity = load(batch.conn, identity_id)
    if identity.status == "retired":
        raise Conflict(f"identity {identity_id} is retired; it gets no new token")
    expires = later(now, ttl_s)
    batch.emit(TokenRotated(actor=actor, identity=identity_id, token_expires_at=expires))
    _revoke_all(batch.conn, identity_id, now)
    _issue_token(batch.conn, identity_id, token, expires, now, key)
    return expires


def transfer(
    batch: Batch, identity_id: str, owner_id: str, now: datetime, *, actor: str
) -> Identity:
    """Give a non-human identity a new accountable owner (an active, unexpired person)."""
    current = load(batch.conn, identity_id)
    if current.is_human:
        raise InputError(
            f"{identity_id} is a person; only agents, models and integrations have owners"
        )
    if current.status == "retired":
        raise Conflict(f"identity {identity_id} is retired; retirement is final")
    check_name(owner_id, "owner")
    if owner_id == current.owner:
        raise Conflict(f"{owner_id} already owns {identity_id}")
    _check_owner(batch.conn, owner_id, now)
    batch.emit(
        IdentityOwnerTransferred(
            actor=actor, identity=identity_id, previous_owner=current.owner, owner=owner_id
        )
    )
    return dataclasses.replace(current, owner=owner_id)


# The credential store: token hashes are never ledgered, so the ``tokens`` table is
# the one governance table the projector does not write; it follows the lifecycle
# events above, in the same transaction.


def _issue_token(
    conn: Connection, identity_id: str, token: str, expires_at: str, now: datetime, key: bytes
) -> None:
    conn.execute(
        t.tokens.insert(),
        dict(
            token_hash=hash_token(token, key),
            identity_id=identity_id,
            created_at=iso(now),
            expires_at=expires_at,
            revoked_at=None,
        ),
    )


def _revoke_all(conn: Connection, identity_id: str, now: datetime) -> None:
    conn.execute(
        update(t.tokens)
        .where(t.tokens.c.identity_id == identity_id, t.tokens.c.revoked_at.is_(None))
        .values(revoked_at=iso(now))
    )


def parse_list(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    items = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    if len(items) > 256:
        raise InputError("at most 256 items in a list")
    return items
