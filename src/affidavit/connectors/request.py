"""What the executor asks a connector to do, and what the connector reports back.

Both are checked when they are built, so a connector never sees a malformed
request and the ledger never receives a malformed result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, get_args

from affidavit import canonical
from affidavit.connectors._checks import check_pattern, check_printable, preview
from affidavit.errors import InputError

__all__ = [
    "MAX_DETAIL_BYTES",
    "MAX_PARAMS_BYTES",
    "MAX_TARGET_ID_LENGTH",
    "ActionRequest",
    "ActionResult",
    "ResultStatus",
]

MAX_TARGET_ID_LENGTH = 1024  # the policy layer's limit for KIND:ID targets
# The catalog refuses parameter objects over 64 KiB; this is only the backstop
# for requests built by hand, so a hostile one cannot fill memory or the ledger.
MAX_PARAMS_BYTES = 1 << 20
MAX_DETAIL_BYTES = 16 << 10  # a result is a few facts, not a payload
_MAX_REF_LENGTH = 256
_MAX_ID_LENGTH = 128

# The execution id becomes the Idempotency-Key header, so it stays plain ASCII.
_EXECUTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_EXECUTION_ID_RULE = "use 1-128 ASCII letters, digits, '.', '_', ':' or '-'"
_ACTION = re.compile(r"[a-z][a-z0-9_]{1,63}")
_ACTION_RULE = "an action id is 2-64 lowercase letters, digits or '_' starting with a letter"
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
_KIND_RULE = "a kind is a lowercase word of at most 32 letters, digits or '_'"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

ResultStatus = Literal["succeeded", "failed"]
_STATUSES: frozenset[str] = frozenset(get_args(ResultStatus))
_REQUEST_KEYS = frozenset(
    {
        "execution_id",
        "action",
        "target_kind",
        "target_id",
        "params",
        "case",
        "authorization_id",
        "action_hash",
    }
)
_RESULT_KEYS = frozenset({"status", "detail", "external_ref"})


def _frozen_json_object(
    value: object, what: str, max_bytes: int
) -> tuple[Mapping[str, Any], bytes]:
    """A private, read-only copy of a JSON object and its canonical bytes."""
    if not isinstance(value, Mapping):
        raise InputError(f"{what} must be a JSON object, not {type(value).__name__}.")
    data = canonical.encode(dict(value))
    if len(data) > max_bytes:
        raise InputError(f"{what} are {len(data)} bytes as JSON; the limit is {max_bytes}.")
    copy = canonical.decode(data)
    assert isinstance(copy, dict)
    return MappingProxyType(copy), data


@dataclass(frozen=True)
class ActionRequest:
    """One authorized action for a connector to run, exactly once per ``execution_id``."""

    execution_id: str
    action: str
    target_kind: str
    target_id: str
    params: Mapping[str, Any] = field(hash=False)
    case: str | None
    authorization_id: str
    action_hash: str

    def __post_init__(self) -> None:
        check_pattern(self.execution_id, "execution id", _EXECUTION_ID, _EXECUTION_ID_RULE)
        check_pattern(self.action, "action", _ACTION, _ACTION_RULE)
        check_pattern(self.target_kind, "target kind", _KIND, _KIND_RULE)
        check_printable(self.target_id, "target id", max_len=MAX_TARGET_ID_LENGTH)
        params, _ = _frozen_json_object(self.params, "parameters", MAX_PARAMS_BYTES)
        object.__setattr__(self, "params", params)
        if self.case is not None:
            check_printable(self.case, "case id", max_len=_MAX_ID_LENGTH)
        check_printable(self.authorization_id, "authorization id", max_len=_MAX_ID_LENGTH)
        check_pattern(
            self.action_hash, "action hash", _SHA256_HEX, "expected 64 lowercase hex digits"
        )

    @property
    def target(self) -> str:
        """The target as policy writes it: ``KIND:ID``."""
        return f"{self.target_kind}:{self.target_id}"

    def to_json(self) -> dict[str, Any]:
        """The request as plain JSON data (what the webhook connector sends)."""
        return {
            "execution_id": self.execution_id,
            "action": self.action,
            "target_kind": self.target_kind,
            "target_id": self.target_id,
            "params": canonical.decode(canonical.encode(dict(self.params))),
            "case": self.case,
            "authorization_id": self.authorization_id,
            "action_hash": self.action_hash,
        }

    @classmethod
    def from_json(cls, data: object) -> ActionRequest:
        """Rebuild a request from :meth:`to_json` output, e.g. in a webhook receiver."""
        if not isinstance(data, Mapping):
            raise InputError(f"an action request must be a JSON object, not {type(data).__name__}.")
        keys = set(data)
        if keys != _REQUEST_KEYS:
            odd = sorted(map(str, keys ^ _REQUEST_KEYS))
            raise InputError(f"an action request has missing or unknown fields: {', '.join(odd)}.")
        return cls(**{str(k): v for k, v in data.items()})


@dataclass(frozen=True)
class ActionResult:
    """What happened: ``succeeded`` or ``failed``, a few facts, and the far side's reference.

    ``detail`` holds small JSON facts: what changed, the state before (so the
    action can be reversed later), the reference; on failure, ``error`` says why.
    """

    status: ResultStatus
    detail: Mapping[str, Any] = field(hash=False)
    external_ref: str | None = None

    def __post_init__(self) -> None:
        if self.status not in _STATUSES:
            raise InputError(
                f"a result status must be 'succeeded' or 'failed', not {preview(self.status)}."
            )
        detail, _ = _frozen_json_object(self.detail, "result details", MAX_DETAIL_BYTES)
        object.__setattr__(self, "detail", detail)
        if self.external_ref is not None:
            check_printable(self.external_ref, "external reference", max_len=_MAX_REF_LENGTH)

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "detail": canonical.decode(canonical.encode(dict(self.detail))),
            "external_ref": self.external_ref,
        }

    @classmethod
    def from_json(cls, data: object) -> ActionResult:
        if not isinstance(data, Mapping) or set(data) != _RESULT_KEYS:
            raise InputError(
                "an action result must be a JSON object with status, detail, external_ref."
            )
        return cls(status=data["status"], detail=data["detail"], external_ref=data["external_ref"])
