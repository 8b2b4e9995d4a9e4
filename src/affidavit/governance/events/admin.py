"""Events of local administration: identities and their tokens, assets, policy bundles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from affidavit.errors import VerificationError
from affidavit.governance.events._base import strings
from affidavit.ledger.events import Event, Payload
from affidavit.policy import Asset

__all__ = [
    "AssetsImported",
    "IdentityCreated",
    "IdentityReactivated",
    "IdentityRetired",
    "IdentityStatusChanged",
    "IdentitySuspended",
    "PolicyPublished",
    "TokenRotated",
]


@dataclass(frozen=True, kw_only=True)
class IdentityCreated(Event):
    """A person, agent, model or integration was added, with a first token (never ledgered)."""

    type: ClassVar[str] = "identity.created"

    id: str
    kind: str
    roles: tuple[str, ...]
    owner: str | None
    scopes: tuple[str, ...]
    data_classes: tuple[str, ...]
    models: tuple[str, ...]
    status: str
    expires_at: str | None
    token_expires_at: str

    def body(self) -> dict[str, Any]:
        identity = {
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
        return {"identity": identity, "token_expires_at": self.token_expires_at}

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        i = body["identity"]
        return {
            "id": i["id"],
            "kind": i["kind"],
            "roles": strings(i["roles"]),
            "owner": i["owner"],
            "scopes": strings(i["scopes"]),
            "data_classes": strings(i["data_classes"]),
            "models": strings(i["models"]),
            "status": i["status"],
            "expires_at": i["expires_at"],
            "token_expires_at": body["token_expires_at"],
        }


@dataclass(frozen=True, kw_only=True)
class IdentityStatusChanged(Event):
    """An identity's status changed; each status has its own entry type (the subclasses)."""

    status: ClassVar[str] = ""

    identity: str
    previous_status: str

    def body(self) -> dict[str, Any]:
        return {"identity": self.identity, "previous_status": self.previous_status}

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {"identity": body["identity"], "previous_status": body["previous_status"]}


@dataclass(frozen=True, kw_only=True)
class IdentitySuspended(IdentityStatusChanged):
    type: ClassVar[str] = "identity.suspended"
    status: ClassVar[str] = "suspended"


@dataclass(frozen=True, kw_only=True)
class IdentityReactivated(IdentityStatusChanged):
    type: ClassVar[str] = "identity.reactivated"
    status: ClassVar[str] = "active"


@dataclass(frozen=True, kw_only=True)
class IdentityRetired(IdentityStatusChanged):
    """Retirement is final; it revokes every token of the identity."""

    type: ClassVar[str] = "identity.retired"
    status: ClassVar[str] = "retired"


@dataclass(frozen=True, kw_only=True)
class TokenRotated(Event):
    """Every token of the identity was revoked and a new one issued (never ledgered)."""

    type: ClassVar[str] = "identity.token_rotated"

    identity: str
    token_expires_at: str

    def body(self) -> dict[str, Any]:
        return {"identity": self.identity, "token_expires_at": self.token_expires_at}

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {"identity": body["identity"], "token_expires_at": body["token_expires_at"]}


@dataclass(frozen=True, kw_only=True)
class AssetsImported(Event):
    """Assets inserted or replaced in the inventory policy reads."""

    type: ClassVar[str] = "assets.imported"

    source: str
    assets: tuple[Asset, ...]

    def body(self) -> dict[str, Any]:
        return {"source": self.source, "assets": [a.to_dict() for a in self.assets]}

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {"source": body["source"], "assets": tuple(Asset(**a) for a in body["assets"])}


@dataclass(frozen=True, kw_only=True)
class PolicyPublished(Event):
    """A policy bundle became the active one; its text is the entry's payload."""

    type: ClassVar[str] = "policy.published"
    needs_payload_data: ClassVar[bool] = True

    bundle_hash: str
    rules: tuple[str, ...]
    text: str

    def body(self) -> dict[str, Any]:
        return {"bundle_hash": self.bundle_hash, "rules": list(self.rules)}

    def payloads(self) -> tuple[bytes, ...]:
        return (self.text.encode(),)

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        if not payloads or payloads[0].data is None:
            raise VerificationError(
                f"the text of policy bundle {body['bundle_hash'][:12]} was erased or not loaded; "
                "the policy state cannot be rebuilt without it"
            )
        return {
            "bundle_hash": body["bundle_hash"],
            "rules": strings(body["rules"]),
            "text": payloads[0].data.decode(),
        }
