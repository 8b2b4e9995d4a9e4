"""The verdict of policy on one request, with everything needed to justify it later."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from affidavit.errors import InputError

__all__ = ["EFFECTS", "Decision", "Effect"]

Effect = Literal["allow", "require_approval", "deny"]
EFFECTS: tuple[Effect, ...] = ("allow", "require_approval", "deny")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Decision:
    """``allow`` (no approval), ``require_approval`` (count, roles, evidence, expiry) or ``deny``.

    ``approver_roles``: each approver must hold at least one of these roles
    (empty: no role constraint). ``expires_after_s``: how long the approval
    request, or for ``allow`` the authorization, stays valid; None for ``deny``.
    ``determining_policies`` are the @ids of the policies that decided;
    ``inputs`` is the request exactly as policy saw it (read-only), so the
    ledger records what was decided on. ``to_dict`` gives plain JSON data.
    """

    effect: Effect
    approvals_required: int
    approver_roles: tuple[str, ...]
    require_evidence_view: bool
    expires_after_s: int | None
    bundle_hash: str
    determining_policies: tuple[str, ...]
    reasons: tuple[str, ...]
    inputs: Mapping[str, Any]

    def __post_init__(self) -> None:
        if self.effect not in EFFECTS:
            raise InputError(f"effect must be one of {', '.join(EFFECTS)}, not {self.effect!r}.")
        if type(self.approvals_required) is not int or self.approvals_required < 0:
            raise InputError("approvals_required must be a whole number, 0 or more.")
        if self.effect == "allow" and (
            self.approvals_required or self.approver_roles or self.require_evidence_view
        ):
            raise InputError("an allow decision carries no approval requirements.")
        if self.effect == "require_approval" and self.approvals_required < 1:
            raise InputError("a require_approval decision needs at least one approval.")
        if self.effect == "deny" and (
            self.approvals_required or self.approver_roles or self.require_evidence_view
        ):
            raise InputError("a deny decision carries no approval requirements.")
        if (self.expires_after_s is None) != (self.effect == "deny"):
            raise InputError("expires_after_s is set exactly when the decision is not deny.")
        if self.expires_after_s is not None and (
            type(self.expires_after_s) is not int or self.expires_after_s <= 0
        ):
            raise InputError("expires_after_s must be a positive number of seconds.")
        for name in ("approver_roles", "determining_policies", "reasons"):
            value = getattr(self, name)
            if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                raise InputError(f"{name} must be a tuple of strings.")
        if not self.reasons:
            raise InputError("a decision must give at least one reason.")
        if not isinstance(self.require_evidence_view, bool):
            raise InputError("require_evidence_view must be true or false.")
        if not isinstance(self.bundle_hash, str) or not _SHA256_HEX.fullmatch(self.bundle_hash):
            raise InputError("bundle_hash must be a lowercase SHA-256 hex digest.")
        if not isinstance(self.inputs, Mapping):
            raise InputError("inputs must be a mapping.")
        object.__setattr__(self, "inputs", _freeze(self.inputs))

    @property
    def allowed(self) -> bool:
        return self.effect == "allow"

    def to_dict(self) -> dict[str, Any]:
        return {
            "effect": self.effect,
            "approvals_required": self.approvals_required,
            "approver_roles": list(self.approver_roles),
            "require_evidence_view": self.require_evidence_view,
            "expires_after_s": self.expires_after_s,
            "bundle_hash": self.bundle_hash,
            "determining_policies": list(self.determining_policies),
            "reasons": list(self.reasons),
            "inputs": _thaw(self.inputs),
        }


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _freeze(value: Any) -> Any:
    """A read-only deep copy: mappings become mapping proxies, lists become tuples."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list or kind is tuple:
        return tuple(v if type(v) in _SCALARS else _freeze(v) for v in value)
    if isinstance(value, Mapping):
        return MappingProxyType(
            {k: v if type(v) in _SCALARS else _freeze(v) for k, v in value.items()}
        )
    return value


def _thaw(value: Any) -> Any:
    """Plain JSON data (dicts and lists) from a frozen value."""
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_thaw(item) for item in value]
    return value
